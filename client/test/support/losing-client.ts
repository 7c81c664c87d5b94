import { ConversationClient } from '../../src/index.js';

/**
 * A client whose first request reaches the service but whose answer is lost on the way back (a
 * network failure after the write), so that its retry can be watched; `calls()` counts requests.
 */
export function clientLosingFirstAnswer(baseUrl: string): { client: ConversationClient; calls(): number } {
  let calls = 0;
  const client = new ConversationClient({
    baseUrl,
    baseDelayMs: 1,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (++calls === 1) throw new TypeError('fetch failed: the answer was lost');
      return response;
    },
  });
  return { client, calls: () => calls };
}
