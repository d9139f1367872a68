// Spans of time as people type them on a command line: `250ms`, `30s`, `5m`, `1h`, `1d`.

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `5m` → 300000; a number without a unit is in ms. Undefined when the text is not a span. */
export function parseSpan(text: string): number | undefined {
  const match = /^([0-9]{1,12})(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNITS[match[2] ?? 'ms'] ?? 1);
}

/** 300000 → `5m`: the largest unit that divides it evenly. */
export function formatSpan(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNITS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
