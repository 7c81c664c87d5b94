import { type Message, watchConversation, type WatchedMessage } from '@conversation-log/client';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { client } from './api';

/** Messages of the latest page; older ones come a page at a time as the reader scrolls up. */
const LATEST_PAGE = 100;
const OLDER_PAGE = 200;

export interface Conversation {
  messages: readonly WatchedMessage[];
  /** True while older messages may exist that are not loaded yet. */
  hasOlder: boolean;
  loadingOlder: boolean;
  error: unknown;
  loadOlder(): void;
}

/**
 * One conversation in sequence order: the client's store follows the latest page and every change
 * after it (streamed pieces included); pages before it are read on demand and merged beneath it.
 */
export function useConversation(projectId: string): Conversation {
  const [latest, setLatest] = useState<readonly WatchedMessage[]>([]);
  const [older, setOlder] = useState<readonly Message[]>([]);
  const [hasOlder, setHasOlder] = useState(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<unknown>();
  const loading = useRef(false);

  useEffect(() => {
    const store = watchConversation(client, projectId, { limit: LATEST_PAGE });
    const unsubscribe = store.subscribe(() => setLatest(store.getSnapshot()));
    store.ready.then(() => setLatest(store.getSnapshot()), setError);
    return () => {
      unsubscribe();
      store.close();
    };
  }, [projectId]);

  const messages = useMemo(() => merge(older, latest), [older, latest]);
  const oldest = messages[0]?.sequence;

  const loadOlder = useCallback(() => {
    if (loading.current || !hasOlder || oldest === undefined) return;
    if (oldest === 0) return setHasOlder(false);
    loading.current = true;
    setLoadingOlder(true);
    void readPageBefore(projectId, oldest)
      .then(
        (page) => {
          setOlder((loaded) => [...page.data, ...loaded]);
          setHasOlder(page.hasMore);
        },
        (failure: unknown) => setError(failure),
      )
      .finally(() => {
        loading.current = false;
        setLoadingOlder(false);
      });
  }, [projectId, hasOlder, oldest]);

  return { messages, hasOlder: hasOlder && oldest !== 0, loadingOlder, error, loadOlder };
}

async function readPageBefore(projectId: string, before: number) {
  const pages = client.history(projectId, { before, limit: OLDER_PAGE });
  const page = await pages.next();
  await pages.return(undefined);
  return page.done ? { data: [], hasMore: false } : page.value;
}

/**
 * Older pages beneath the store's messages. The store's copy wins (it is the one kept live), and
 * in the usual case, every store message newer than every older one, no sort is needed.
 */
function merge(older: readonly Message[], latest: readonly WatchedMessage[]): readonly WatchedMessage[] {
  if (older.length === 0) return latest;
  const live = new Set(latest.map((message) => message.id));
  const kept = older.filter((message) => !live.has(message.id));
  const lastOlder = kept.at(-1)?.sequence ?? -1;
  const merged = [...kept, ...latest];
  return latest.every((message) => message.sequence > lastOlder)
    ? merged
    : merged.sort((a, b) => a.sequence - b.sequence);
}
