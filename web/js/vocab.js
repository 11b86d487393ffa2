// Controlled vocabularies, read from the API's own OpenAPI description so that the page and
// the server can never disagree, with labels and colours for the map and legend.

/** Colour-blind-safe qualitative palette (Okabe-Ito, then Tol's muted). */
const PALETTE = ['#E69F00', '#56B4E9', '#009E73', '#D55E00', '#0072B2', '#CC79A7', '#882255', '#44AA99', '#999933', '#332288'];
const UNKNOWN = '#8c8c8c';

/** Fixed colours where the meaning suggests one. */
const VERIFICATION_COLOURS = {
  confirmed: '#1a7f37', fair: '#4d9de0', weak: '#e1a100', contested: '#c2185b', discounted: '#7a7a7a',
};

export const vocab = {};

/** Loads every enumerated parameter of the incidents endpoint. */
export async function loadVocab() {
  const response = await fetch('api/api');
  const doc = await response.json();
  // Paths are relative to the document's server (…/api).
  const params = doc.paths['/collections/incidents/items'].get.parameters;
  for (const p of params) {
    const values = p.schema?.enum ?? p.schema?.items?.enum;
    if (Array.isArray(values)) vocab[p.name] = values;
  }
  return vocab;
}

/** Words that keep their capitals in labels. */
const ACRONYMS = { mlrs: 'MLRS', uav: 'UAV', ngo: 'NGO' };

/** Values whose label is not just their words. */
const LABELS = { nagorno_karabakh_authorities: 'Nagorno-Karabakh authorities' };

export function label(value) {
  if (value === null || value === undefined || value === '') return 'not reported';
  if (LABELS[value]) return LABELS[value];
  const text = String(value).split('_').map((w) => ACRONYMS[w] ?? w).join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The colour of `value` in vocabulary `name`. */
export function colour(name, value) {
  if (value === 'unknown') return UNKNOWN;
  if (name === 'verification' && VERIFICATION_COLOURS[value]) return VERIFICATION_COLOURS[value];
  const values = (vocab[name] || []).filter((v) => v !== 'unknown');
  const i = values.indexOf(value);
  return i < 0 ? UNKNOWN : PALETTE[i % PALETTE.length];
}

/** A MapLibre `match` expression colouring features by property `name`. */
export function colourExpression(name) {
  const property = name === 'type' ? 'type' : name;
  const values = vocab[name] || [];
  if (values.length === 0) return UNKNOWN;
  const pairs = values.flatMap((v) => [v, colour(name, v)]);
  return ['match', ['get', property], ...pairs, UNKNOWN];
}
