import { createInterface } from 'node:readline/promises';
import { ConversationClient, type WatchedMessage, watchConversation } from '../src/index.js';

/**
 * A terminal chat on the conversation store: type a line, and it appears at once (optimistic), then
 * a simulated assistant reserves its reply, streams it token by token and completes it; every watcher of the project sees the
 * same list in sequence order. `npm run example:chat -- --project demo [--url http://127.0.0.1:3000]`.
 */
function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

const projectId = flag('project', 'demo');
const client = new ConversationClient({
  baseUrl: flag('url', process.env.CONVERSATION_LOG_URL ?? 'http://127.0.0.1:3000'),
});
const store = watchConversation(client, projectId, { limit: 20 });

function line(message: WatchedMessage): string {
  const place = message.optimistic ? '  …' : String(message.sequence).padStart(3);
  const status = message.status === 'pending' ? ' (typing)' : '';
  return `${place} ${message.role.padEnd(9)} ${message.content}${status}`;
}

function render(): void {
  process.stdout.write('\x1b[2J\x1b[H');
  console.log(`project ${projectId}: type a line, Ctrl-D to quit\n`);
  store.getSnapshot().forEach((message) => console.log(line(message)));
  process.stdout.write('\n> ');
}

/** Words with the space before them, as a model's tokens come. */
function tokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/**
 * The assistant of this example: a placeholder at once, then the answer streamed a token at a
 * time (each offset is the length streamed so far), then completed without content, so that the
 * streamed text stands.
 */
async function simulateReply(userMessageId: string, text: string): Promise<string> {
  const reply = await client.reserveAssistant(projectId, { replyTo: userMessageId, content: '' });
  let offset = 0;
  for (const token of tokens(`You said ${text.length} characters: “${text}”`)) {
    await new Promise((resolve) => setTimeout(resolve, 80));
    offset = (await client.stream(projectId, reply.id, { offset, delta: token })).length;
  }
  await client.complete(projectId, reply.id, {});
  return reply.id;
}

/** Resolves once the store shows the reply completed: its live update has arrived. */
function shown(replyId: string): Promise<void> {
  const done = () => store.getSnapshot().some((m) => m.id === replyId && m.status !== 'pending');
  return new Promise((resolve) => {
    if (done()) return resolve();
    const unsubscribe = store.subscribe(() => {
      if (!done()) return;
      unsubscribe();
      resolve();
    });
  });
}

async function main(): Promise<void> {
  await store.ready;
  store.subscribe(render);
  render();
  const input = createInterface({ input: process.stdin });
  for await (const text of input) {
    if (!text.trim()) continue;
    const sent = await store.postMessage({ content: text });
    // Shown before the next line is read, so that input piped in ends with every reply on screen.
    await shown(await simulateReply(sent.id, text));
  }
  store.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
