//! The register in sled: persons, households and family links keyed by register id.
//!
//! | tree | key | value (JSON) |
//! |---|---|---|
//! | `register.persons` | person id | the [`PersonEntry`] and the id of its household |
//! | `register.households` | household id | the [`HouseholdEntry`] |
//! | `register.families` | person id | the person's [`FamilyLinks`] (only persons with relations) |
//! | `register.rrn_index` | SHA-256 of the RRN | person id |
//!
//! No RRN is a key: the index is keyed by a hash of it, so an officer's look-up by RRN does not
//! need a scan, and the RRN never appears in a key (nor in any log: nothing here logs).

use std::collections::HashSet;

use dojang_vc::credentials::Rrn;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::file::{
    shown_id, FamilyLinks, HouseholdEntry, ImportSummary, PersonEntry, RegisterFile,
};
use crate::IssuerError;

const PERSONS_TREE: &str = "register.persons";
const HOUSEHOLDS_TREE: &str = "register.households";
const FAMILIES_TREE: &str = "register.families";
const RRN_INDEX_TREE: &str = "register.rrn_index";

/// Domain separation for the RRN index key.
const RRN_INDEX_DOMAIN: &[u8] = b"dojang register rrn index v1\0";

/// A person as stored: the register entry and the household it belongs to.
#[derive(Serialize, Deserialize)]
struct StoredPerson {
    person: PersonEntry,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    household: Option<String>,
}

/// The issuer's register of residents and family relations, stored in sled.
#[derive(Clone)]
pub struct Register {
    db: sled::Db,
    persons: sled::Tree,
    households: sled::Tree,
    families: sled::Tree,
    rrn_index: sled::Tree,
}

impl std::fmt::Debug for Register {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Register")
            .field("persons", &self.persons.len())
            .field("households", &self.households.len())
            .finish_non_exhaustive()
    }
}

/// A person loaded from the store, with the parsed RRN.
pub(crate) struct LoadedPerson {
    pub(crate) entry: PersonEntry,
    pub(crate) rrn: Rrn,
    pub(crate) household: Option<String>,
}

fn corrupt(what: &'static str, e: &serde_json::Error) -> IssuerError {
    // The classification and position only: a serde message could quote the stored value.
    IssuerError::Corrupt {
        what,
        reason: format!("{:?} at column {}", e.classify(), e.column()),
    }
}

fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, IssuerError> {
    serde_json::to_vec(value).map_err(|e| corrupt(what, &e))
}

fn rrn_index_key(rrn: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(RRN_INDEX_DOMAIN);
    hasher.update(rrn.as_bytes());
    hasher.finalize().into()
}

impl Register {
    /// Opens (or creates) the register's trees in `db`.
    pub fn open(db: &sled::Db) -> Result<Register, IssuerError> {
        Ok(Register {
            db: db.clone(),
            persons: db.open_tree(PERSONS_TREE)?,
            households: db.open_tree(HOUSEHOLDS_TREE)?,
            families: db.open_tree(FAMILIES_TREE)?,
            rrn_index: db.open_tree(RRN_INDEX_TREE)?,
        })
    }

    /// Validates `file` as a whole, then replaces the register's content with it in one sled
    /// transaction (a register extract is a full snapshot: persons, households and relations
    /// absent from it are removed), and flushes before returning.
    ///
    /// Nothing is written when validation fails. One importer at a time is assumed.
    pub fn import(&self, file: &RegisterFile) -> Result<ImportSummary, IssuerError> {
        let checked = file.check()?;

        let mut persons = Vec::with_capacity(file.persons.len());
        let mut index = Vec::with_capacity(file.persons.len());
        for person in &file.persons {
            let stored = StoredPerson {
                person: person.clone(),
                household: checked
                    .household_of
                    .get(person.id.as_str())
                    .map(|id| (*id).to_owned()),
            };
            persons.push((person.id.as_bytes().to_vec(), encode("person", &stored)?));
            index.push((
                rrn_index_key(&person.rrn).to_vec(),
                person.id.as_bytes().to_vec(),
            ));
        }
        let mut households = Vec::with_capacity(file.households.len());
        for household in &file.households {
            households.push((
                household.id.as_bytes().to_vec(),
                encode("household", household)?,
            ));
        }
        let mut families = Vec::with_capacity(checked.links.len());
        for (id, links) in &checked.links {
            families.push((id.as_bytes().to_vec(), encode("family links", links)?));
        }

        let writes = [
            (&self.persons, persons),
            (&self.households, households),
            (&self.families, families),
            (&self.rrn_index, index),
        ];
        let mut stale: Vec<Vec<sled::IVec>> = Vec::with_capacity(writes.len());
        for (tree, fresh) in &writes {
            let fresh: HashSet<&[u8]> = fresh.iter().map(|(key, _)| key.as_slice()).collect();
            let mut old = Vec::new();
            for key in tree.iter().keys() {
                let key = key?;
                if !fresh.contains(key.as_ref()) {
                    old.push(key);
                }
            }
            stale.push(old);
        }

        (
            &self.persons,
            &self.households,
            &self.families,
            &self.rrn_index,
        )
            .transaction(|(persons, households, families, index)| {
                let views = [persons, households, families, index];
                for ((view, (_, fresh)), old) in views.iter().zip(&writes).zip(&stale) {
                    for key in old {
                        view.remove(key)?;
                    }
                    for (key, value) in fresh {
                        view.insert(key.as_slice(), value.as_slice())?;
                    }
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                TransactionError::Storage(source) => IssuerError::Storage { source },
                TransactionError::Abort(()) => IssuerError::Corrupt {
                    what: "register import",
                    reason: "transaction aborted".to_owned(),
                },
            })?;
        self.db.flush()?;
        Ok(checked.summary)
    }

    /// The person with this register id.
    pub fn person(&self, person_id: &str) -> Result<PersonEntry, IssuerError> {
        self.load_person(person_id).map(|loaded| loaded.entry)
    }

    pub(crate) fn load_person(&self, person_id: &str) -> Result<LoadedPerson, IssuerError> {
        let bytes =
            self.persons
                .get(person_id.as_bytes())?
                .ok_or_else(|| IssuerError::PersonNotFound {
                    person_id: shown_id(person_id),
                })?;
        let stored: StoredPerson =
            serde_json::from_slice(&bytes).map_err(|e| corrupt("person", &e))?;
        let rrn = Rrn::parse(&stored.person.rrn).map_err(|_| IssuerError::Corrupt {
            what: "person",
            reason: format!("the stored RRN of {} is invalid", stored.person.id),
        })?;
        Ok(LoadedPerson {
            entry: stored.person,
            rrn,
            household: stored.household,
        })
    }

    /// The household with this register id, if any.
    pub fn household(&self, household_id: &str) -> Result<Option<HouseholdEntry>, IssuerError> {
        match self.households.get(household_id.as_bytes())? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| corrupt("household", &e)),
        }
    }

    /// The household a person belongs to, if they are registered in one here.
    pub fn household_of(&self, person_id: &str) -> Result<Option<HouseholdEntry>, IssuerError> {
        match self.load_person(person_id)?.household {
            None => Ok(None),
            Some(id) => self.household(&id).and_then(|household| {
                household.map(Some).ok_or_else(|| IssuerError::Corrupt {
                    what: "person",
                    reason: format!("{} refers to a missing household", shown_id(person_id)),
                })
            }),
        }
    }

    /// A person's parents, children and marriages (empty when the register has none).
    pub fn family_links(&self, person_id: &str) -> Result<FamilyLinks, IssuerError> {
        match self.families.get(person_id.as_bytes())? {
            None => Ok(FamilyLinks::default()),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| corrupt("family links", &e)),
        }
    }

    /// The register id of the person with this RRN, for an officer's look-up. Neither the RRN
    /// nor its hash is logged or returned in an error.
    pub fn find_person_by_rrn(&self, rrn: &Rrn) -> Result<Option<String>, IssuerError> {
        match self.rrn_index.get(rrn_index_key(rrn.as_str()))? {
            None => Ok(None),
            Some(id) => {
                String::from_utf8(id.to_vec())
                    .map(Some)
                    .map_err(|_| IssuerError::Corrupt {
                        what: "RRN index",
                        reason: "a person id is not UTF-8".to_owned(),
                    })
            }
        }
    }

    /// Every person id, in key order.
    pub fn person_ids(&self) -> Result<Vec<String>, IssuerError> {
        let mut ids = Vec::with_capacity(self.persons.len());
        for key in self.persons.iter().keys() {
            let key = key?;
            ids.push(String::from_utf8_lossy(&key).into_owned());
        }
        Ok(ids)
    }

    /// Number of persons.
    pub fn person_count(&self) -> usize {
        self.persons.len()
    }

    /// Number of households.
    pub fn household_count(&self) -> usize {
        self.households.len()
    }
}
