import type { HttpClient } from '@aihub/core/plugin-api';
import type { ProviderConfig, ProviderType } from '../config';
import type { ProviderAdapter } from '../types';
import { AnthropicProvider } from './anthropic/adapter';
import { AzureOpenAiProvider } from './azure/adapter';
import { MockProvider } from './mock';
import { OpenAiCompatibleProvider } from './openai-compatible/adapter';
import { OllamaProvider, OpenAiProvider } from './openai/adapter';

// Bedrock (AWS SigV4 and event-stream codecs) and Gemini / Vertex AI (service-account auth) are
// required when such a provider is configured, not at start: ~1.5 MB of heap a deployment without
// them would keep for nothing (issue 20, idle RSS).
const bedrock = () => require('./bedrock/adapter') as typeof import('./bedrock/adapter');
const gemini = () => require('./gemini/adapter') as typeof import('./gemini/adapter');

/** Builds the adapter for a configured provider (`type`, or the provider's name when it is a type). */
export function createProvider(name: string, config: ProviderConfig, http: HttpClient): ProviderAdapter {
  const type = (config.type ?? name) as ProviderType;
  switch (type) {
    case 'openai':
      return new OpenAiProvider(name, config, http);
    case 'azure-openai':
      return new AzureOpenAiProvider(name, config, http);
    case 'anthropic':
      return new AnthropicProvider(name, config, http);
    case 'ollama':
      return new OllamaProvider(name, config, http);
    case 'openai-compatible':
      return new OpenAiCompatibleProvider(name, config, http);
    case 'gemini':
      return new (gemini().GeminiProvider)(name, config, http);
    case 'vertex-ai':
      return new (gemini().VertexAiProvider)(name, config, http);
    case 'bedrock':
      return new (bedrock().BedrockProvider)(name, config, http);
    case 'mock':
      return new MockProvider(name, config);
  }
}
