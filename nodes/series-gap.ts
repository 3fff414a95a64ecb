import type { Rng } from "../lib/random.js";
import type { Gap } from "../lib/records/schema.js";
import { getSpeechEvent, type SpeechEvent } from "../lib/speech-events.js";

/**
 * The time between two sessions of a series, and which speech events fit it. Catching up after two months is a
 * different talk from making plans the same evening: each kind of gap lists the speech events (ids of
 * data/speech-events.json) that are natural after it, and a later session's event is drawn among those by the
 * events' own weights. "Getting to know someone" never follows a first session: the two have met.
 */
interface GapKind {
  kind: Gap["kind"];
  unit: Gap["unit"];
  min: number;
  max: number;
  /** how often this gap is drawn, relative to the others */
  weight: number;
  events: readonly string[];
}

export const GAP_KINDS: readonly GapKind[] = [
  {
    kind: "hours",
    unit: "hour",
    min: 2,
    max: 10,
    weight: 2,
    events: [
      "recapping_the_day",
      "making_plans",
      "joking_around",
      "bedtime_talk",
      "asking_a_favor",
      "sharing_good_news",
      "complaining",
      "decision_making_conversation",
    ],
  },
  {
    kind: "next_day",
    unit: "day",
    min: 1,
    max: 1,
    weight: 2,
    events: [
      "morning_talk",
      "making_plans",
      "recapping_the_day",
      "small_talk",
      "asking_for_advice",
      "swapping_recommendations",
      "gossip",
    ],
  },
  {
    kind: "days",
    unit: "day",
    min: 2,
    max: 6,
    weight: 3,
    events: [
      "small_talk",
      "gossip",
      "hobby_talk",
      "swapping_recommendations",
      "making_plans",
      "talking_about_problems",
      "sharing_good_news",
      "current_events_talk",
      "sports_talk",
    ],
  },
  {
    kind: "weeks",
    unit: "week",
    min: 1,
    max: 3,
    weight: 2,
    events: [
      "catching_up",
      "sharing_good_news",
      "talking_about_problems",
      "hopes_and_dreams",
      "swapping_recommendations",
      "reminiscing",
      "asking_for_advice",
    ],
  },
  {
    kind: "months",
    unit: "month",
    min: 1,
    max: 6,
    weight: 1,
    events: [
      "catching_up",
      "reminiscing",
      "sharing_good_news",
      "breaking_bad_news",
      "hopes_and_dreams",
      "serious_conversation",
    ],
  },
];

/** A gap between two sessions: a kind by weight, then an amount within it. */
export function drawGap(rng: Rng): Gap {
  const kind = rng.pickWeighted(GAP_KINDS, (k) => k.weight);
  return { kind: kind.kind, unit: kind.unit, amount: rng.int(kind.min, kind.max) };
}

/** The speech event of a session after `gap`, drawn among the events that fit it by their weights; `previous` (the
 * last session's event id) is avoided when another fits, so consecutive sessions are not the same kind of talk. */
export function pickEventAfterGap(gap: Gap, events: readonly SpeechEvent[], rng: Rng, previous?: string): SpeechEvent {
  const kind = GAP_KINDS.find((k) => k.kind === gap.kind)!;
  const fitting = kind.events.map((id) => getSpeechEvent(events, id));
  const fresh = fitting.filter((event) => event.id !== previous);
  return rng.pickWeighted(fresh.length ? fresh : fitting, (event) => event.weight);
}

/** The gap in English words, for the prompts ("3 days", "a few hours later the same day", "the next day"). */
export function gapText(gap: Gap): string {
  if (gap.kind === "next_day") return "one day (this is the next day)";
  if (gap.kind === "hours") return `${gap.amount} hours (later the same day)`;
  return `${gap.amount} ${gap.unit}${gap.amount === 1 ? "" : "s"}`;
}
