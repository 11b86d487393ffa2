// Taking the filtered set away: GeoJSON exactly as the API returned it, and a flat CSV.
const CSV_COLUMNS = [
  'id', 'title', 'date', 'date_end', 'date_precision', 'time_local', 'place', 'lon', 'lat', 'geo_precision', 'uncertainty_km',
  'type', 'weapon', 'target', 'killed', 'killed_high', 'injured', 'injured_high', 'children_killed', 'children_injured',
  'perpetrator_alleged', 'reported_by', 'verification', 'depth_km', 'depth_low_km', 'depth_high_km', 'side',
  'nearest_military_km', 'nearest_protected_km', 'nearest_place', 'attribution', 'sources', 'description',
];

function save(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function cell(value) {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(collection) {
  const rows = collection.features.map((f) => {
    const p = f.properties;
    const values = {
      ...p,
      lon: f.geometry.coordinates[0],
      lat: f.geometry.coordinates[1],
      reported_by: p.reported_by.join(';'),
      sources: p.sources.map((s) => [s.publisher, s.title, s.date, s.url].filter(Boolean).join(', ')).join(' | '),
    };
    return CSV_COLUMNS.map((c) => cell(values[c])).join(',');
  });
  return `${CSV_COLUMNS.join(',')}\r\n${rows.join('\r\n')}\r\n`;
}

export function setUpExport(current) {
  const stamp = () => new Date().toISOString().slice(0, 10);
  document.getElementById('download-geojson').addEventListener('click', () => {
    const collection = current();
    const body = { type: 'FeatureCollection', numberMatched: collection.numberMatched, numberReturned: collection.numberReturned, source: location.href, features: collection.features };
    save(`strikemap-incidents-${stamp()}.geojson`, 'application/geo+json', JSON.stringify(body, null, 1));
  });
  document.getElementById('download-csv').addEventListener('click', () => {
    save(`strikemap-incidents-${stamp()}.csv`, 'text/csv;charset=utf-8', toCsv(current()));
  });
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
