import type { HttpClient } from '@aihub/core/plugin-api';
import type { ProviderConfig, ProviderType } from '../config';
import type { ProviderAdapter } from '../types';
import { AnthropicProvider } from './anthropic/adapter';
import { AzureOpenAiProvider } from './azure/adapter';
import { BedrockProvider } from './bedrock/adapter';
import { GeminiProvider, VertexAiProvider } from './gemini/adapter';
import { MockProvider } from './mock';
import { OpenAiCompatibleProvider } from './openai-compatible/adapter';
import { OllamaProvider, OpenAiProvider } from './openai/adapter';

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
      return new GeminiProvider(name, config, http);
    case 'vertex-ai':
      return new VertexAiProvider(name, config, http);
    case 'bedrock':
      return new BedrockProvider(name, config, http);
    case 'mock':
      return new MockProvider(name, config);
  }
}
