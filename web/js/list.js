// The list of filtered incidents beside the map, in the order the API returned them.
import { state } from './state.js';
import { colour } from './vocab.js';
import { countText, esc } from './format.js';

/** Renders the incidents; `onSelect(id)` when one is chosen. */
export function renderList(collection, onSelect) {
  const list = document.getElementById('list');
  list.innerHTML = collection.features.map((f) => {
    const p = f.properties;
    const killed = countText(p.killed, p.killed_high);
    const date = p.date_precision === 'range' ? `${p.date} – ${p.date_end}` : p.date;
    return `<li><button type="button" data-id="${esc(p.id)}" aria-current="${p.id === state.selected}">
      <span class="swatch" style="background:${colour(state.colorBy, p[state.colorBy])}"></span>
      <span class="title">${esc(p.title)}</span>
      <span class="meta">${esc(date)} · ${esc(p.place)} · ${p.depth_km === null ? '' : `${p.depth_km.toFixed(0)} km from the line · `}killed: ${esc(killed)}</span>
    </button></li>`;
  }).join('');
  for (const button of list.querySelectorAll('button')) {
    button.addEventListener('click', () => onSelect(button.dataset.id));
  }
  const note = document.getElementById('list-note');
  const more = collection.numberMatched - collection.numberReturned;
  note.hidden = more <= 0;
  note.textContent = more > 0 ? `Showing the first ${collection.numberReturned} of ${collection.numberMatched}; narrow the filters to see the rest.` : '';
}

export function markSelected() {
  for (const button of document.querySelectorAll('#list button')) {
    const current = button.dataset.id === state.selected;
    button.setAttribute('aria-current', String(current));
    if (current) button.scrollIntoView({ block: 'nearest' });
  }
}
