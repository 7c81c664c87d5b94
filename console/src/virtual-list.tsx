import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';

/** Rows drawn beyond each edge of the viewport, in pixels, so a fast scroll shows no gap. */
const OVERSCAN_PX = 600;
/** Within this of the bottom, the list follows what arrives (a chat's usual reading position). */
const BOTTOM_SLACK_PX = 8;

export interface VirtualListProps<T> {
  items: readonly T[];
  keyOf(item: T): string;
  renderItem(item: T): ComponentChildren;
  /** Height of a row before it is measured. */
  estimatedHeight: number;
  label: string;
  /** Called while the top of the list is within a screen of the viewport: the time to load older rows. */
  onNearTop?(): void;
  /** Scrolls this row into view whenever the object changes. */
  reveal?: { key: string };
}

/** The first row on screen, and how far above the viewport's top it starts. */
interface Anchor {
  key: string;
  offsetFromTop: number;
}

/**
 * A list that draws only the rows near the viewport, so that 10,000 messages scroll like 50. Rows
 * are measured as drawn (a message is as tall as its text); what is on screen stays put when rows
 * above it change height or older rows arrive on top, and a list read at its bottom follows new rows.
 */
export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, keyOf, estimatedHeight } = props;
  const viewport = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [measured, setMeasured] = useState(0);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(600);
  const atBottom = useRef(true);
  const anchor = useRef<Anchor | undefined>(undefined);

  const indexOf = useMemo(() => new Map(items.map((item, index) => [keyOf(item), index])), [items, keyOf]);
  const offsets = useMemo(() => {
    const sums = new Float64Array(items.length + 1);
    items.forEach((item, index) => {
      sums[index + 1] = sums[index]! + (heights.current.get(keyOf(item)) ?? estimatedHeight);
    });
    return sums;
  }, [items, keyOf, estimatedHeight, measured]);
  const total = offsets[items.length]!;

  const observer = useMemo(
    () =>
      new ResizeObserver((entries) => {
        let changed = false;
        for (const entry of entries) {
          const element = entry.target as HTMLElement;
          const key = element.dataset.key;
          const height = element.offsetHeight;
          if (key === undefined || height === 0 || heights.current.get(key) === height) continue;
          heights.current.set(key, height);
          changed = true;
        }
        if (changed) setMeasured((n) => n + 1);
      }),
    [],
  );
  useEffect(() => () => observer.disconnect(), [observer]);

  const noteScroll = () => {
    const element = viewport.current;
    if (!element) return;
    atBottom.current = element.scrollTop + element.clientHeight >= element.scrollHeight - BOTTOM_SLACK_PX;
    const first = firstAt(offsets, element.scrollTop);
    const item = items[first];
    anchor.current = item && { key: keyOf(item), offsetFromTop: offsets[first]! - element.scrollTop };
    setScrollTop(element.scrollTop);
    setViewportHeight(element.clientHeight);
    if (element.scrollTop < element.clientHeight) props.onNearTop?.();
  };

  // After rows arrive or change height: keep the bottom in view, or keep the first row on screen where it was.
  useLayoutEffect(() => {
    const element = viewport.current;
    const index = anchor.current && indexOf.get(anchor.current.key);
    if (!element) return;
    if (atBottom.current) element.scrollTop = element.scrollHeight;
    else if (index !== undefined && anchor.current)
      element.scrollTop = offsets[index]! - anchor.current.offsetFromTop;
    noteScroll();
  }, [offsets]);

  useLayoutEffect(() => {
    const index = props.reveal && indexOf.get(props.reveal.key);
    if (index === undefined) return;
    atBottom.current = false;
    viewport.current!.scrollTop = offsets[index]! - BOTTOM_SLACK_PX;
    noteScroll();
  }, [props.reveal]);

  const first = firstAt(offsets, scrollTop - OVERSCAN_PX);
  let last = first;
  while (last < items.length && offsets[last]! < scrollTop + viewportHeight + OVERSCAN_PX) last++;
  return (
    <div
      ref={viewport}
      class="virtual-list"
      tabIndex={0}
      role="region"
      aria-label={props.label}
      onScroll={noteScroll}
    >
      <div class="virtual-list-space" style={{ height: `${total}px` }}>
        {items.slice(first, last).map((item, slot) => (
          <Row key={keyOf(item)} rowKey={keyOf(item)} top={offsets[first + slot]!} observer={observer}>
            {props.renderItem(item)}
          </Row>
        ))}
      </div>
    </div>
  );
}

function Row(props: { rowKey: string; top: number; observer: ResizeObserver; children: ComponentChildren }) {
  const element = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const row = element.current!;
    props.observer.observe(row);
    return () => props.observer.unobserve(row);
  }, [props.observer]);
  return (
    <div
      ref={element}
      class="virtual-row"
      data-key={props.rowKey}
      style={{ transform: `translateY(${props.top}px)` }}
    >
      {props.children}
    </div>
  );
}

/** The index of the row that covers `y` (binary search over the rows' start offsets). */
function firstAt(offsets: Float64Array, y: number): number {
  let low = 0;
  let high = offsets.length - 2;
  if (high < 0) return 0;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (offsets[middle]! <= y) low = middle;
    else high = middle - 1;
  }
  return low;
}
