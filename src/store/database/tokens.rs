//! API tokens: random, shown once, stored only as their SHA-256 (a token has 256 bits of
//! entropy, so a plain hash is as strong as a slow one and costs nothing per request).

use super::{Database, DbError, now};
use crate::model::Role;
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

/// Every token starts with this, so that a leaked one is easy to recognise.
pub const PREFIX: &str = "smk_";

/// Who a request's token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: i64,
    pub name: String,
    pub role: Role,
}

/// A token as listed (never the token itself).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Longest token name, in characters.
const MAX_NAME_CHARS: usize = 200;

impl Database {
    /// Makes a token with `role` for `name` and returns it; only its hash is kept.
    pub fn create_token(&self, name: &str, role: Role) -> Result<String, DbError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(DbError::Invalid(format!(
                "--name: expected a name of 1 to {MAX_NAME_CHARS} characters (who holds the token)"
            )));
        }
        let bytes: [u8; 32] = rand::random();
        let token: String = std::iter::once(PREFIX.to_string())
            .chain(bytes.iter().map(|b| format!("{b:02x}")))
            .collect();
        self.with(|c| {
            c.execute(
                "INSERT INTO tokens (name, role, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![name, role.as_str(), hash(&token), now()],
            )
            .map_err(|e| self.sqlite(e))
        })?;
        Ok(token)
    }

    /// Whose token this is, if it is one and has not been revoked.
    pub fn authenticate(&self, token: &str) -> Result<Option<Principal>, DbError> {
        if !token.starts_with(PREFIX) || token.len() > 128 {
            return Ok(None);
        }
        self.with(|c| {
            c.query_row(
                "SELECT id, name, role FROM tokens WHERE hash = ?1 AND revoked_at IS NULL",
                [hash(token)],
                |r| {
                    let role: String = r.get(2)?;
                    Ok(Principal {
                        token_id: r.get(0)?,
                        name: r.get(1)?,
                        role: Role::parse(&role).unwrap_or(Role::Viewer),
                    })
                },
            )
            .optional()
            .map_err(|e| self.sqlite(e))
        })
    }

    /// Every token, oldest first.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, DbError> {
        self.with(|c| {
            let mut statement = c
                .prepare("SELECT id, name, role, created_at, revoked_at FROM tokens ORDER BY id")
                .map_err(|e| self.sqlite(e))?;
            let rows = statement
                .query_map([], |r| {
                    let role: String = r.get(2)?;
                    Ok(TokenInfo {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        role: Role::parse(&role).unwrap_or(Role::Viewer),
                        created_at: r.get(3)?,
                        revoked_at: r.get(4)?,
                    })
                })
                .map_err(|e| self.sqlite(e))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.sqlite(e))
        })
    }

    /// Revokes the token with this id; says whether there was one still valid.
    pub fn revoke_token(&self, id: i64) -> Result<bool, DbError> {
        self.with(|c| {
            c.execute(
                "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, now()],
            )
            .map(|n| n > 0)
            .map_err(|e| self.sqlite(e))
        })
    }
}
