/** The chat request every load bench sends (a short prompt, 16 tokens of answer). */
export const CHAT = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hello! How are you today?' }],
  max_tokens: 16,
});

/** The same request, streamed. */
export const STREAM = JSON.stringify({
  model: 'gpt-4o-mini',
  stream: true,
  messages: [{ role: 'user', content: 'Hello! How are you today?' }],
  max_tokens: 16,
});
