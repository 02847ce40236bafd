// Requests and tokens per key and model, counted in fixed clock windows (the current minute, the
// current UTC day) plus the previous days for the dashboard's week. Pure in-memory form; UsageService
// mirrors the same counts into Redis.

export const USAGE_WINDOWS = { minute: 60_000, day: 86_400_000 } as const;
export type UsageWindowName = keyof typeof USAGE_WINDOWS;
export const USAGE_WINDOW_NAMES = Object.keys(USAGE_WINDOWS) as UsageWindowName[];
/** Days of per-day usage kept (today included), in memory and in Redis. */
export const HISTORY_DAYS = 7;

export interface UsageRow {
  key: string;
  model: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What one response used, as the backend reported it (0 when it did not). */
export interface TokenCounts {
  prompt: number;
  completion: number;
  total: number;
}

export function windowStart(window: UsageWindowName, now: number): number {
  const length = USAGE_WINDOWS[window];
  return Math.floor(now / length) * length;
}

/** The starts of the last HISTORY_DAYS UTC days, oldest first, today last. */
export function historyDayStarts(now: number): number[] {
  const today = windowStart('day', now);
  return Array.from({ length: HISTORY_DAYS }, (_, i) => today - (HISTORY_DAYS - 1 - i) * USAGE_WINDOWS.day);
}

export function emptyRow(key: string, model: string): UsageRow {
  return { key, model, requests: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
}

/** Rows sorted by key, then model, so answers are stable. */
export function sortRows(rows: Iterable<UsageRow>): UsageRow[] {
  return [...rows].sort((a, b) => (a.key === b.key ? cmp(a.model, b.model) : cmp(a.key, b.key)));
}

export class UsageCounters {
  private minute = { start: -1, rows: new Map<string, UsageRow>() };
  /** Day start -> rows, for the last HISTORY_DAYS days only. */
  private readonly days = new Map<number, Map<string, UsageRow>>();

  add(key: string, model: string, tokens: TokenCounts, now = Date.now()): void {
    const id = JSON.stringify([key, model]);
    for (const rows of [this.minuteRows(now), this.dayRows(windowStart('day', now), true)!]) {
      const row = rows.get(id) ?? emptyRow(key, model);
      row.requests += 1;
      row.prompt_tokens += tokens.prompt;
      row.completion_tokens += tokens.completion;
      row.total_tokens += tokens.total;
      rows.set(id, row);
    }
  }

  rows(window: UsageWindowName, now = Date.now()): UsageRow[] {
    if (window === 'day') return this.day(windowStart('day', now));
    return sortRows([...this.minuteRows(now).values()].map((r) => ({ ...r })));
  }

  /** Rows of the UTC day starting at `dayStart` (empty when it is outside the kept days). */
  day(dayStart: number): UsageRow[] {
    return sortRows([...(this.days.get(dayStart)?.values() ?? [])].map((r) => ({ ...r })));
  }

  private minuteRows(now: number): Map<string, UsageRow> {
    const start = windowStart('minute', now);
    if (this.minute.start !== start) this.minute = { start, rows: new Map() };
    return this.minute.rows;
  }

  private dayRows(start: number, create: boolean): Map<string, UsageRow> | undefined {
    let rows = this.days.get(start);
    if (!rows && create) {
      rows = new Map();
      this.days.set(start, rows);
      const [oldest] = historyDayStarts(start);
      for (const day of this.days.keys()) if (day < oldest) this.days.delete(day);
    }
    return rows;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
