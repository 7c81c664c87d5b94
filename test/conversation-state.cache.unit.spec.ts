import { CachedConversation, ConversationStateCache } from '../src/conversation/conversation-state.cache.js';
import type { ConversationEvent, UserMessaged } from '../src/conversation/conversation.events.js';
import { type ConversationState, evolve, initialState } from '../src/conversation/conversation.js';

const userMessaged = (messageId: string, content: string): UserMessaged => ({
  type: 'UserMessaged',
  data: {
    messageId,
    projectId: 'p',
    content,
    imageUrls: [],
    createdBy: null,
    createdAt: '2026-11-26T10:00:00.000Z',
    metadata: {},
  },
});

/** A conversation of `count` messages of `size` characters each. */
function conversation(count: number, size = 100): CachedConversation {
  const folded = new CachedConversation('conversation-p');
  for (let i = 0; i < count; i++) folded.apply(userMessaged(`m${i}`, 'x'.repeat(size)), i);
  return folded;
}

function add(cache: ConversationStateCache, name: string, entry: CachedConversation): void {
  cache.track(name, entry, 0);
}

describe('CachedConversation', () => {
  it('folds events in place, at the revisions given', () => {
    const folded = conversation(3);
    expect(folded.revision).toBe(2);
    const state = folded.state();
    expect(state.revision).toBe(2);
    expect(state.messages.get('m1')?.message).toMatchObject({ id: 'm1', sequence: 1, revision: 1 });
    expect(state.messages.get('m3')).toBeUndefined();
  });

  it('counts the bytes of what it holds, replacing an entry rather than adding to it', () => {
    const folded = conversation(1, 100);
    const one = folded.bytes;
    expect(one).toBeGreaterThan(200);
    folded.apply(userMessaged('m1', 'x'.repeat(100)), 1);
    expect(folded.bytes).toBe(2 * one);
    folded.apply(userMessaged('m1', 'y'.repeat(1000)), 2);
    expect(folded.bytes).toBe(one + one + 2 * 900);
  });
});

/** A turn with every field in use: a user message, a reply streamed and completed, a reply still streaming. */
const turn: ConversationEvent[] = [
  {
    type: 'UserMessaged',
    data: {
      messageId: 'u1',
      projectId: 'p',
      content: 'Cut the intro — "quote" \\ ✂️ \u2028',
      imageUrls: ['https://example.com/a.png'],
      createdBy: 'alice',
      createdAt: '2026-11-26T10:00:00.000Z',
      metadata: { client: { name: 'editor', build: 7 }, tags: ['a'] },
    },
  },
  {
    type: 'AssistantReserved',
    data: {
      messageId: 'a1',
      projectId: 'p',
      content: '',
      replyTo: 'u1',
      createdBy: 'alice',
      createdAt: '2026-11-26T10:00:01.000Z',
      metadata: { model: 'm-1' },
    },
  },
  { type: 'AssistantDeltaAppended', data: { messageId: 'a1', projectId: 'p', offset: 0, delta: 'Do' } },
  { type: 'AssistantDeltaAppended', data: { messageId: 'a1', projectId: 'p', offset: 2, delta: 'ne' } },
  {
    type: 'AssistantCompleted',
    data: {
      messageId: 'a1',
      projectId: 'p',
      content: 'Done',
      status: 'success',
      completedAt: '2026-11-26T10:00:02.000Z',
      metadata: { usage: { output: 3 } },
    },
  },
  {
    type: 'AssistantReserved',
    data: {
      messageId: 'a2',
      projectId: 'p',
      content: '',
      replyTo: 'u1',
      createdBy: null,
      createdAt: '2026-11-26T10:00:03.000Z',
      metadata: {},
    },
  },
  { type: 'AssistantDeltaAppended', data: { messageId: 'a2', projectId: 'p', offset: 0, delta: 'Wor' } },
];

describe('CachedConversation, against evolve', () => {
  it('gives every message exactly as evolve folds it, settled ones packed and the streaming one not', () => {
    const folded = new CachedConversation('conversation-p');
    let expected: ConversationState = initialState;
    turn.forEach((event, revision) => {
      folded.apply(event, revision);
      expected = evolve(expected, event);
      const state = folded.state();
      expect(state.revision).toBe(expected.revision);
      for (const id of ['u1', 'a1', 'a2', 'unknown'])
        expect(state.messages.get(id)).toEqual(expected.messages.get(id));
    });
    expect(folded.state().messages.get('a1')?.message).toMatchObject({
      content: 'Done',
      status: 'success',
      metadata: { model: 'm-1', usage: { output: 3 } },
    });
    expect(folded.state().messages.get('a2')?.message).toMatchObject({ content: 'Wor', status: 'pending' });
  });

  it('holds a settled message as a third of the bytes of the same message streaming', () => {
    const settled = new CachedConversation('conversation-p');
    settled.apply(turn[0] as ConversationEvent, 0);
    const streaming = new CachedConversation('conversation-p');
    streaming.apply(
      {
        ...(turn[5] as ConversationEvent),
        data: { ...turn[5]!.data, content: (turn[0] as UserMessaged).data.content },
      } as ConversationEvent,
      0,
    );
    expect(settled.bytes * 2).toBeLessThan(streaming.bytes);
  });
});

describe('ConversationStateCache', () => {
  it('returns what was tracked, and nothing once removed', () => {
    const cache = new ConversationStateCache(1024 * 1024);
    const entry = conversation(2);
    add(cache, 'a', entry);
    expect(cache.get('a')).toBe(entry);
    cache.remove('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the least recently used conversations once past the byte budget', () => {
    const size = conversation(1).bytes;
    const cache = new ConversationStateCache(3 * size);
    for (const name of ['a', 'b', 'c']) add(cache, name, conversation(1));
    cache.get('a'); // now b is the least recently used
    add(cache, 'd', conversation(1));
    expect(cache.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((name) => cache.get(name) !== undefined)).toEqual([true, true, true]);
  });

  it('counts an entry that grew, by the bytes it had before', () => {
    const size = conversation(1).bytes;
    const cache = new ConversationStateCache(3 * size);
    const a = conversation(1);
    add(cache, 'a', a);
    add(cache, 'b', conversation(1));
    const before = a.bytes;
    a.apply(userMessaged('m1', 'x'.repeat(100)), 1);
    cache.track('a', a, before);
    expect(cache.size).toBe(2);
    const b = cache.get('b')!;
    const beforeB = b.bytes;
    b.apply(userMessaged('m1', 'x'.repeat(100)), 1);
    cache.track('b', b, beforeB); // 4 entries' worth: a, now the oldest, goes
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe(b);
  });

  it('keeps the entry just tracked even when it alone passes the budget', () => {
    const cache = new ConversationStateCache(10);
    add(cache, 'a', conversation(1));
    const big = conversation(5);
    add(cache, 'big', big);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('big')).toBe(big);
  });

  it('tracking a new entry under a cached name replaces the old one and its bytes', () => {
    const size = conversation(1).bytes;
    const cache = new ConversationStateCache(2 * size);
    add(cache, 'a', conversation(1));
    const fresh = conversation(1);
    add(cache, 'a', fresh);
    add(cache, 'b', conversation(1));
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBe(fresh);
  });
});
