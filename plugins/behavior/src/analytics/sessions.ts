import type { ScannedEvent } from './scan';

export interface Session {
  distinct_id: string;
  start: string;
  end: string;
  duration_ms: number;
  events: number;
  first_event: string | null;
  last_event: string | null;
}

/** Splits one user's events (time order) into sessions: a gap longer than `inactivityMs` starts a new one. */
export function sessionsOf(distinctId: string, events: ScannedEvent[], inactivityMs: number): Session[] {
  const out: Session[] = [];
  let first: ScannedEvent | undefined;
  let last: ScannedEvent | undefined;
  let count = 0;
  const close = () => {
    if (!first || !last) return;
    out.push({
      distinct_id: distinctId,
      start: new Date(first.ts).toISOString(),
      end: new Date(last.ts).toISOString(),
      duration_ms: last.ts - first.ts,
      events: count,
      first_event: first.event,
      last_event: last.event,
    });
  };
  for (const e of events) {
    if (last && e.ts - last.ts > inactivityMs) {
      close();
      first = undefined;
      count = 0;
    }
    first ??= e;
    last = e;
    count++;
  }
  close();
  return out;
}

export class SessionStats {
  sessions = 0;
  users = 0;
  events = 0;
  bounces = 0;
  durations: number[] = [];
  byDay = new Map<string, number>();

  add(sessions: Session[]): void {
    if (!sessions.length) return;
    this.users++;
    for (const s of sessions) {
      this.sessions++;
      this.events += s.events;
      if (s.events === 1) this.bounces++;
      this.durations.push(s.duration_ms);
      const day = s.start.slice(0, 10);
      this.byDay.set(day, (this.byDay.get(day) ?? 0) + 1);
    }
  }

  summary() {
    const d = [...this.durations].sort((a, b) => a - b);
    const m = d.length >> 1;
    return {
      sessions: this.sessions,
      users: this.users,
      avg_duration_ms: d.length ? Math.round(d.reduce((a, b) => a + b, 0) / d.length) : null,
      median_duration_ms: d.length ? (d.length % 2 ? d[m] : Math.round((d[m - 1] + d[m]) / 2)) : null,
      avg_events_per_session: this.sessions ? Math.round((this.events / this.sessions) * 100) / 100 : null,
      bounce_rate: this.sessions ? Math.round((this.bounces / this.sessions) * 10_000) / 10_000 : null,
      by_day: [...this.byDay.entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([day, sessions]) => ({ day, sessions })),
    };
  }
}
