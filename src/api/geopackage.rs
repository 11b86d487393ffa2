//! Incidents as a GeoPackage (OGC 12-128r18, version 1.3), the file GIS users open directly:
//! one point feature table `incidents` in WGS84 with typed columns (whole numbers for counts,
//! reals for distances, dates as dates). Written with SQLite itself; each feature's properties
//! are those of the GeoJSON feature the API serves, so the two never disagree.

use rusqlite::{Connection, params_from_iter, types::Value as Sql};
use serde_json::Value;
use std::path::Path;

/// SQLite's `application_id` for a GeoPackage ("GPKG").
const APPLICATION_ID: i32 = 0x4750_4B47;
/// GeoPackage 1.3.0.
const USER_VERSION: i32 = 10300;

/// A column and its GeoPackage type.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Integer,
    Real,
    Date,
    /// A list or object, kept as JSON text.
    Json,
}

impl Kind {
    fn sql(self) -> &'static str {
        match self {
            Kind::Text | Kind::Json => "TEXT",
            Kind::Integer => "INTEGER",
            Kind::Real => "REAL",
            Kind::Date => "DATE",
        }
    }
}

/// The columns, in the GeoJSON feature's order.
const COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Text),
    ("title", Kind::Text),
    ("description", Kind::Text),
    ("attribution", Kind::Text),
    ("date", Kind::Date),
    ("date_end", Kind::Date),
    ("date_precision", Kind::Text),
    ("time_local", Kind::Text),
    ("date_note", Kind::Text),
    ("place", Kind::Text),
    ("place_id", Kind::Text),
    ("place_name_hy", Kind::Text),
    ("place_name_az", Kind::Text),
    ("geo_precision", Kind::Text),
    ("uncertainty_km", Kind::Real),
    ("location_source", Kind::Text),
    ("type", Kind::Text),
    ("weapon", Kind::Text),
    ("target", Kind::Text),
    ("killed", Kind::Integer),
    ("killed_high", Kind::Integer),
    ("injured", Kind::Integer),
    ("injured_high", Kind::Integer),
    ("children_killed", Kind::Integer),
    ("children_killed_high", Kind::Integer),
    ("children_injured", Kind::Integer),
    ("children_injured_high", Kind::Integer),
    ("perpetrator_alleged", Kind::Text),
    ("reported_by", Kind::Json),
    ("verification", Kind::Text),
    ("verification_note", Kind::Text),
    ("sources", Kind::Json),
    ("depth_km", Kind::Real),
    ("depth_low_km", Kind::Real),
    ("depth_high_km", Kind::Real),
    ("side", Kind::Text),
    ("nearest_military_km", Kind::Real),
    ("nearest_military", Kind::Json),
    ("nearest_protected_km", Kind::Real),
    ("nearest_protected", Kind::Json),
    ("nearest_place", Kind::Text),
    ("nearest_place_km", Kind::Real),
];

/// WGS84 as GeoPackage's required spatial reference rows define it.
const WGS84_WKT: &str = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4326\"]]";

/// A point as a GeoPackage geometry blob: the `GP` header (version 0, little-endian, no
/// envelope, SRS 4326) followed by the point's little-endian WKB.
fn point_blob(lon: f64, lat: f64) -> Vec<u8> {
    let mut blob = Vec::with_capacity(29);
    blob.extend_from_slice(b"GP");
    blob.push(0);
    blob.push(0b0000_0001);
    blob.extend_from_slice(&4326i32.to_le_bytes());
    blob.push(1);
    blob.extend_from_slice(&1u32.to_le_bytes());
    blob.extend_from_slice(&lon.to_le_bytes());
    blob.extend_from_slice(&lat.to_le_bytes());
    blob
}

/// Writes a new GeoPackage at `path` (which must not exist) from features given one at a time
/// as GeoJSON values, in one transaction.
pub struct Writer {
    conn: Connection,
    insert_sql: String,
    bbox: [f64; 4],
    written: usize,
}

impl Writer {
    pub fn create(path: &Path) -> Result<Writer, rusqlite::Error> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        conn.pragma_update(None, "user_version", USER_VERSION)?;
        let columns: Vec<String> = COLUMNS
            .iter()
            .map(|(name, kind)| format!("\"{name}\" {}", kind.sql()))
            .collect();
        conn.execute_batch(&format!(
            "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
                 organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
                 definition TEXT NOT NULL, description TEXT);
             INSERT INTO gpkg_spatial_ref_sys VALUES
                 ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
                 ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
                 ('WGS 84 geodetic', 4326, 'EPSG', 4326, '{WGS84_WKT}', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
             CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
                 identifier TEXT UNIQUE, description TEXT DEFAULT '',
                 last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                 min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
                 srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
             CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
                 geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
                 CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
             CREATE TABLE incidents (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT, {});
             INSERT INTO gpkg_geometry_columns VALUES ('incidents', 'geom', 'POINT', 4326, 0, 0);
             BEGIN;",
            columns.join(", ")
        ))?;
        let names: Vec<String> = COLUMNS.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        let marks = vec!["?"; COLUMNS.len() + 1].join(", ");
        Ok(Writer {
            conn,
            insert_sql: format!(
                "INSERT INTO incidents (geom, {}) VALUES ({marks})",
                names.join(", ")
            ),
            bbox: [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            written: 0,
        })
    }

    /// Adds one feature (as the API serves it).
    pub fn add(&mut self, feature: &Value) -> Result<(), rusqlite::Error> {
        let coordinates = &feature["geometry"]["coordinates"];
        let (lon, lat) = (
            coordinates[0].as_f64().unwrap_or(f64::NAN),
            coordinates[1].as_f64().unwrap_or(f64::NAN),
        );
        self.bbox = [
            self.bbox[0].min(lon),
            self.bbox[1].min(lat),
            self.bbox[2].max(lon),
            self.bbox[3].max(lat),
        ];
        let properties = &feature["properties"];
        let mut values = vec![Sql::Blob(point_blob(lon, lat))];
        for (name, kind) in COLUMNS {
            let v = &properties[*name];
            values.push(match (v, kind) {
                (Value::Null, _) => Sql::Null,
                (Value::String(s), _) => Sql::Text(s.clone()),
                (Value::Number(n), Kind::Integer) => n.as_i64().map_or(Sql::Null, Sql::Integer),
                (Value::Number(n), _) => n.as_f64().map_or(Sql::Null, Sql::Real),
                (Value::Bool(b), _) => Sql::Integer(i64::from(*b)),
                (other, _) => Sql::Text(other.to_string()),
            });
        }
        self.conn
            .prepare_cached(&self.insert_sql)?
            .execute(params_from_iter(values))?;
        self.written += 1;
        Ok(())
    }

    /// Records the table's extent and commits; returns how many features were written.
    pub fn finish(self) -> Result<usize, rusqlite::Error> {
        let [min_x, min_y, max_x, max_y] = if self.written == 0 {
            [0.0; 4]
        } else {
            self.bbox
        };
        self.conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
             VALUES ('incidents', 'features', 'incidents', 'Reported attacks on civilians, as strikemap serves them; every claim attributed', ?1, ?2, ?3, ?4, 4326)",
            rusqlite::params![min_x, min_y, max_x, max_y],
        )?;
        self.conn.execute_batch("COMMIT;")?;
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::point_blob;

    #[test]
    fn a_point_blob_is_a_gp_header_and_little_endian_wkb() {
        let blob = point_blob(46.75, 39.81);
        assert_eq!(&blob[..2], b"GP");
        assert_eq!(blob[3] & 1, 1, "little-endian flag");
        assert_eq!(
            i32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]),
            4326
        );
        assert_eq!(blob[8], 1);
        assert_eq!(
            u32::from_le_bytes([blob[9], blob[10], blob[11], blob[12]]),
            1
        );
        assert_eq!(blob.len(), 8 + 21);
    }
}
