// The legend: every colour on the map, for the current "colour by" choice.
import { state } from './state.js';
import { colour, label, vocab } from './vocab.js';
import { esc } from './format.js';
import { HEAT_RAMP } from './map.js';

export function renderLegend() {
  const values = vocab[state.colorBy] || [];
  const names = { type: 'Type', weapon: 'Weapon', verification: 'Verification' };
  document.getElementById('legend').innerHTML = `
    <h3>${names[state.colorBy] || 'Incidents'}</h3>
    <ul>${values.map((v) => `<li><span class="dot" style="background:${colour(state.colorBy, v)}"></span>${esc(label(v))}</li>`).join('')}</ul>
    ${state.heatmap ? `<h3>Heatmap</h3>
      <div class="heat-ramp" style="background:linear-gradient(to right, ${HEAT_RAMP.map(([at, c]) => `${c} ${at * 100}%`).join(', ')})"></div>
      <p class="ramp-labels"><span>fewer</span><span>more incidents nearby</span></p>
      <p class="hint">Density of the matching incidents, each counted once whatever its toll. Turn the heatmap off to see single incidents and clusters.</p>` : `<h3>Size</h3><ul><li>Larger circles: more killed (highest reported figure)</li>
      <li><span class="dot cluster"></span>Cluster, coloured by its commonest ${esc(names[state.colorBy]?.toLowerCase() || 'class')}, with the number of incidents in it (click to zoom in)</li></ul>`}
    <h3>Reference</h3>
    <ul>
      <li><span class="rule"></span>Line of contact, 26 Sep 2020 (OpenStreetMap-derived; ±2–12.5 km by stretch)</li>
      <li><span class="rule witness"></span>Same line as Natural Earth draws it (second source)</li>
      <li><span class="rule coarse"></span>Line after 10 Nov 2020 (coarse, ±10 km)</li>
      <li><span class="bar" style="background:#b2182b66"></span>0–10 km from the line</li>
      <li><span class="bar" style="background:#ef8a6266"></span>10–25 km</li>
      <li><span class="bar" style="background:#fddbc788"></span>25–50 km</li>
      <li><span class="bar" style="background:#e8e8e8"></span>50–100 km</li>
      <li><span class="dot" style="background:#222"></span>Military object (documented)</li>
      <li><span class="dot" style="background:#fff;box-shadow:0 0 0 3px #1a7f37 inset"></span>Protected object</li>
    </ul>`;
}
