// Aggregate statements ("72 civilians killed between ... and ..."): reported totals that are
// not point incidents, so they are listed beside the map rather than drawn on it.
import { getJson } from './api.js';
import { countText, esc } from './format.js';
import { label } from './vocab.js';

function totals(s) {
  const parts = [];
  const count = (name, value) => {
    if (value && (value.low !== null || value.high !== null)) parts.push(`${name}: ${countText(value.low, value.high)}`);
  };
  count('killed', s.killed);
  count('children killed', s.children_killed);
  count('injured', s.injured);
  count('children injured', s.children_injured);
  return parts.join(' · ');
}

export async function renderSummaries() {
  const collection = await getJson('api/collections/summaries/items', new URLSearchParams({ limit: '1000' }));
  const list = document.getElementById('summaries');
  list.innerHTML = collection.features.map((f) => {
    const s = f.properties;
    const period = [s.period_start, s.period_end].filter(Boolean).join(' to ') || 'period not given';
    const sources = (s.sources || []).map((src) => (src.url
      ? `<a href="${esc(src.url)}" target="_blank" rel="noopener noreferrer">${esc(src.publisher)}</a>`
      : esc(src.publisher))).join('; ');
    return `<li><strong>${esc(s.title)}</strong>
      <span class="meta">${esc(period)}${s.area ? ` · ${esc(s.area)}` : ''}</span>
      ${totals(s) ? `<span class="meta">${esc(totals(s))}</span>` : ''}
      <span class="meta">Reported by ${esc((s.reported_by || []).map(label).join(', '))}; sources: ${sources}</span>
      ${s.description ? `<span class="meta">${esc(s.description)}</span>` : ''}</li>`;
  }).join('');
  document.getElementById('summaries-section').hidden = collection.features.length === 0;
}
