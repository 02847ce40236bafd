// Requests and tokens per key and model, counted in fixed clock windows (the current minute, the
// current UTC day) plus the previous days for the dashboard's week. Pure in-memory form; UsageService
// mirrors the same counts into Redis. Model names come from clients, so the rows are bounded as metric
// labels are: a name gets a row of its own only once a backend served it, and at most
// MAX_MODELS_PER_KEY names per key and day; everything else is counted under OTHER_MODEL.

export const USAGE_WINDOWS = { minute: 60_000, day: 86_400_000 } as const;
export type UsageWindowName = keyof typeof USAGE_WINDOWS;
export const USAGE_WINDOW_NAMES = Object.keys(USAGE_WINDOWS) as UsageWindowName[];
/** Days of per-day usage kept (today included), in memory and in Redis. */
export const HISTORY_DAYS = 7;
/** Model rows one key may have in a day, besides OTHER_MODEL. */
export const MAX_MODELS_PER_KEY = 200;
/** Where unserved model names and the names past MAX_MODELS_PER_KEY are counted (as metrics do). */
export const OTHER_MODEL = 'other';

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

interface DayRows {
  rows: Map<string, UsageRow>;
  /** Model rows per key, OTHER_MODEL aside. */
  models: Map<string, number>;
}

export class UsageCounters {
  private minute = { start: -1, rows: new Map<string, UsageRow>() };
  /** Day start -> rows, for the last HISTORY_DAYS days only. */
  private readonly days = new Map<number, DayRows>();

  /**
   * Counts one finished request. `served`: a backend answered it (the model name exists somewhere); a
   * name not served yet today is counted under OTHER_MODEL. Returns the model label it was counted under.
   */
  add(key: string, model: string, tokens: TokenCounts, now = Date.now(), served = true): string {
    const day = this.dayRows(windowStart('day', now), true)!;
    const label = this.labelFor(day, key, model, served);
    const id = JSON.stringify([key, label]);
    for (const rows of [this.minuteRows(now), day.rows]) {
      const row = rows.get(id) ?? emptyRow(key, label);
      row.requests += 1;
      row.prompt_tokens += tokens.prompt;
      row.completion_tokens += tokens.completion;
      row.total_tokens += tokens.total;
      rows.set(id, row);
    }
    return label;
  }

  rows(window: UsageWindowName, now = Date.now()): UsageRow[] {
    if (window === 'day') return this.day(windowStart('day', now));
    return sortRows([...this.minuteRows(now).values()].map((r) => ({ ...r })));
  }

  /** Rows of the UTC day starting at `dayStart` (empty when it is outside the kept days). */
  day(dayStart: number): UsageRow[] {
    return sortRows([...(this.days.get(dayStart)?.rows.values() ?? [])].map((r) => ({ ...r })));
  }

  private labelFor(day: DayRows, key: string, model: string, served: boolean): string {
    if (model === OTHER_MODEL || day.rows.has(JSON.stringify([key, model]))) return model;
    const models = day.models.get(key) ?? 0;
    if (!served || models >= MAX_MODELS_PER_KEY) return OTHER_MODEL;
    day.models.set(key, models + 1);
    return model;
  }

  private minuteRows(now: number): Map<string, UsageRow> {
    const start = windowStart('minute', now);
    if (this.minute.start !== start) this.minute = { start, rows: new Map() };
    return this.minute.rows;
  }

  private dayRows(start: number, create: boolean): DayRows | undefined {
    let day = this.days.get(start);
    if (!day && create) {
      day = { rows: new Map(), models: new Map() };
      this.days.set(start, day);
      const [oldest] = historyDayStarts(start);
      for (const d of this.days.keys()) if (d < oldest) this.days.delete(d);
    }
    return day;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
