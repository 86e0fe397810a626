// The figures of the benchmark: each is a list of per-round samples, reported as min / median / max,
// and judged against its target only where its spread allows.

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * @param {number[]} values
 * @returns {{ min: number, median: number, max: number, spread: number }}
 */
export function summary(values) {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { min, median: median(values), max, spread: max - min };
}

/**
 * @typedef {object} Target
 * @property {'>=' | '<='} op the side of `value` a good figure is on
 * @property {number} value
 * @property {number} margin how far the target lies from "no difference" (1 for a ratio, 0 for a
 *   difference, or the figure itself for an absolute one): an effect smaller than the spread of its
 *   samples cannot be told from the machine's noise
 */

/**
 * 'met' or 'missed' when the samples say so, 'not resolved' when they cannot:
 * - every round on the good side of the target: met; every round on the bad side: missed (however
 *   wide the spread: no round contradicts it);
 * - rounds on both sides: the median decides if the spread (max − min) is within the target's
 *   margin, else the figure is 'not resolved' (the noise is wider than the effect).
 * @param {number[]} values
 * @param {Target | undefined} target
 * @returns {'met' | 'missed' | 'not resolved' | 'reference'}
 */
export function verdict(values, target) {
  if (target === undefined) return 'reference';
  if (values.length === 0) return 'not resolved';
  const good = (value) => (target.op === '>=' ? value >= target.value : value <= target.value);
  if (values.every(good)) return 'met';
  if (!values.some(good)) return 'missed';
  const { median: middle, spread } = summary(values);
  if (spread > target.margin) return 'not resolved';
  return good(middle) ? 'met' : 'missed';
}

/** A ratio target: `op value`, whose margin is its distance from 1. */
export function ratioTarget(op, value) {
  return { op, value, margin: Math.abs(1 - value) };
}

/** `digits` decimals, with a sign when `signed`. */
export function fixed(value, digits = 2, signed = false) {
  const text = value.toFixed(digits);
  return signed && value >= 0 ? `+${text}` : text;
}

/** "median (min–max)" of a list, each figure formatted by `format`. */
export function spreadText(values, format = (value) => fixed(value)) {
  const { min, median: middle, max } = summary(values);
  return `${format(middle)} (${format(min)}–${format(max)})`;
}
