// Taking the filtered set away: every match, whatever the map shows, streamed by the server's
// bulk download (GeoJSON, or CSV with the columns the README documents, a byte-order mark and
// formulas neutralised) straight to disk, so nothing is held in the page and nothing is cut at
// a page size.
import { namedParams } from './api.js';
import { state } from './state.js';

/** The address of the download of every incident matching the current filters. */
export function downloadUrl(format) {
  const p = namedParams();
  if (state.sort) p.set('sortby', state.sort);
  if (format === 'csv') p.set('f', 'csv');
  const query = [...p].length ? `?${p}` : '';
  return `api/collections/incidents/download${query}`;
}

function save(href) {
  const a = document.createElement('a');
  a.href = href;
  // The server names the file (Content-Disposition); `download` keeps the page where it is.
  a.download = '';
  document.body.append(a);
  a.click();
  a.remove();
}

export function setUpExport() {
  document.getElementById('download-geojson').addEventListener('click', () => save(downloadUrl('geojson')));
  document.getElementById('download-csv').addEventListener('click', () => save(downloadUrl('csv')));
  document.getElementById('print').addEventListener('click', () => window.print());
  document.getElementById('copy-link').addEventListener('click', async (e) => {
    try {
      await navigator.clipboard.writeText(location.href);
      e.target.textContent = 'Link copied';
    } catch {
      e.target.textContent = 'Copy the address bar';
    }
    setTimeout(() => { e.target.textContent = 'Copy link'; }, 2000);
  });
}
