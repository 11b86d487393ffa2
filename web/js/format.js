// Small formatting helpers shared by the panels, the list and the exports.
import { label } from './vocab.js';

/** Escapes text for HTML. */
export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** "12 May 2020", or a range. */
export function dateText(p) {
  const fmt = (d) => new Date(`${d}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  if (p.date_precision === 'range' && p.date_end !== p.date) return `between ${fmt(p.date)} and ${fmt(p.date_end)}`;
  return fmt(p.date) + (p.time_local ? `, ${p.time_local} local time` : '');
}

/** A reported count: "2", "1–3", "at least 50", or "not reported". */
export function countText(low, high) {
  if (low === null && high === null) return 'not reported';
  if (high === low) return String(low);
  if (high === null) return `at least ${low}`;
  if (low === null) return `up to ${high}`;
  return `${low}–${high}`;
}

export function km(value) {
  return value === null || value === undefined ? '—' : `${Number(value).toFixed(1)} km`;
}

export function sideText(side) {
  return side ? label(side).replace('side', 'side of the line') : 'unknown side';
}
