// Requests and tokens per key and model, counted in fixed clock windows (the current minute, the
// current UTC day). Pure in-memory form; UsageService mirrors the same counts into Redis.

export const USAGE_WINDOWS = { minute: 60_000, day: 86_400_000 } as const;
export type UsageWindowName = keyof typeof USAGE_WINDOWS;
export const USAGE_WINDOW_NAMES = Object.keys(USAGE_WINDOWS) as UsageWindowName[];

export interface UsageRow {
  key: string;
  model: string;
  requests: number;
  total_tokens: number;
}

export function windowStart(window: UsageWindowName, now: number): number {
  const length = USAGE_WINDOWS[window];
  return Math.floor(now / length) * length;
}

/** Rows sorted by key, then model, so answers are stable. */
export function sortRows(rows: Iterable<UsageRow>): UsageRow[] {
  return [...rows].sort((a, b) => (a.key === b.key ? cmp(a.model, b.model) : cmp(a.key, b.key)));
}

export class UsageCounters {
  private readonly windows = new Map<UsageWindowName, { start: number; rows: Map<string, UsageRow> }>();

  add(key: string, model: string, tokens: number, now = Date.now()): void {
    const id = JSON.stringify([key, model]);
    for (const name of USAGE_WINDOW_NAMES) {
      const rows = this.current(name, now);
      const row = rows.get(id) ?? { key, model, requests: 0, total_tokens: 0 };
      row.requests += 1;
      row.total_tokens += tokens;
      rows.set(id, row);
    }
  }

  rows(window: UsageWindowName, now = Date.now()): UsageRow[] {
    return sortRows([...this.current(window, now).values()].map((r) => ({ ...r })));
  }

  private current(window: UsageWindowName, now: number): Map<string, UsageRow> {
    const start = windowStart(window, now);
    let entry = this.windows.get(window);
    if (!entry || entry.start !== start) {
      entry = { start, rows: new Map() };
      this.windows.set(window, entry);
    }
    return entry.rows;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
