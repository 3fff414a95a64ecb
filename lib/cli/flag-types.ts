import { z } from "zod";
import { PROVIDERS, type ProviderName } from "../models/factory.js";

/** zod types of the flags several commands share (graph, eval, worker), with their one-line messages. */

export function wholeNumber(flag: string, min: number, max?: number) {
  return z
    .string()
    .regex(/^\d+$/, `${flag} takes a whole number`)
    .transform(Number)
    .refine(
      (n) => n >= min && (max === undefined || n <= max),
      max === undefined ? `${flag} must be at least ${min}` : `${flag} must be between ${min} and ${max}`,
    );
}

export function providerFlag(flag: string) {
  return z.string().refine((p): p is ProviderName => (PROVIDERS as readonly string[]).includes(p), (p) => ({
    message: `unknown ${flag} "${p}" (one of: ${PROVIDERS.join(", ")})`,
  }));
}

export const seedFlag = z.string().regex(/^-?\d+$/, "--seed takes a whole number").transform(Number).default("1");

export const turnsFlag = z
  .string()
  .regex(/^\d+-\d+$/, "--turns takes MIN-MAX, for example 8-14")
  .transform((s) => s.split("-").map(Number) as [number, number])
  .refine(([min, max]) => min >= 2 && min <= max && max <= 40, "--turns needs 2 <= MIN <= MAX <= 40");

export const priceFlag = z
  .string()
  .regex(/^\d+(\.\d+)?,\d+(\.\d+)?$/, "--price takes IN,OUT in USD per million tokens, for example 0.15,0.60")
  .transform((s) => {
    const [input, output] = s.split(",").map(Number) as [number, number];
    return { input, output };
  });
