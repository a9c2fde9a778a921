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

use std::collections::{BTreeSet, HashSet};

use dojang_vc::credentials::Rrn;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sled::transaction::{
    ConflictableTransactionError, TransactionError, Transactional, TransactionalTree,
};

use super::file::{
    shown_id, FamilyLinks, HouseholdEntry, ImportSummary, Marriage, ParentChild, PersonEntry,
    RegisterFile,
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

/// What a 등본 shows of a person, read from the stored entry without its address history and
/// detail changes (a fraction of the decoding: a 등본 reads every member of a household).
#[derive(Deserialize)]
struct StoredBrief {
    person: BriefEntry,
    #[serde(default)]
    household: Option<String>,
}

#[derive(Deserialize)]
struct BriefEntry {
    id: String,
    name: String,
    #[serde(default)]
    name_hanja: Option<String>,
    rrn: String,
    /// Only whether it is there.
    #[serde(default)]
    died_on: Option<serde::de::IgnoredAny>,
}

/// A person as a 등본 shows them.
pub(crate) struct PersonBrief {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) name_hanja: Option<String>,
    pub(crate) rrn: Rrn,
    pub(crate) deceased: bool,
    pub(crate) household: Option<String>,
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

/// Everything a replacement of the register's content writes, computed by
/// [`Register::prepare_replace`], so that the replacement can join a larger sled transaction
/// (status lists, issuance records) with [`PreparedReplace::apply_tx`].
pub struct PreparedReplace {
    /// New entries per tree, in the order of [`Register::trees`].
    writes: [Vec<(Vec<u8>, Vec<u8>)>; 4],
    /// Keys present before and absent from the new content, per tree.
    removals: [Vec<sled::IVec>; 4],
    summary: ImportSummary,
}

/// Counts only: the values are personal data.
impl std::fmt::Debug for PreparedReplace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedReplace")
            .field("summary", &self.summary)
            .field("writes", &self.writes.each_ref().map(Vec::len))
            .field("removals", &self.removals.each_ref().map(Vec::len))
            .finish()
    }
}

impl PreparedReplace {
    /// Writes the prepared content inside a transaction. `views` are the transactional views of
    /// exactly the four register trees, in the order of [`Register::trees`] (when the transaction
    /// spans more trees, pass the sub-slice of the register's views). Aborts with
    /// `storage_corrupt` when `views` does not have four elements. sled may run a transaction
    /// more than once; this writes the same content each time.
    pub fn apply_tx(
        &self,
        views: &[TransactionalTree],
    ) -> Result<(), ConflictableTransactionError<IssuerError>> {
        if views.len() != self.writes.len() {
            return Err(ConflictableTransactionError::Abort(IssuerError::Corrupt {
                what: "register transaction",
                reason: format!(
                    "expected the {} register trees, got {} views",
                    self.writes.len(),
                    views.len()
                ),
            }));
        }
        for ((view, fresh), old) in views.iter().zip(&self.writes).zip(&self.removals) {
            for key in old {
                view.remove(key)?;
            }
            for (key, value) in fresh {
                view.insert(key.as_slice(), value.as_slice())?;
            }
        }
        Ok(())
    }

    /// What the register holds once the replacement is applied.
    pub fn summary(&self) -> ImportSummary {
        self.summary
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

/// The RRN stored for register person `id`, parsed; a stored RRN that does not parse is a
/// corrupt register (import validates every one).
fn stored_rrn(rrn: &str, id: &str) -> Result<Rrn, IssuerError> {
    Rrn::parse(rrn).map_err(|_| IssuerError::Corrupt {
        what: "person",
        reason: format!("the stored RRN of {id} is invalid"),
    })
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
    /// Nothing is written when validation fails. One importer at a time is assumed. This is
    /// [`Register::prepare_replace`] followed by [`PreparedReplace::apply_tx`] in a transaction
    /// of its own over [`Register::trees`].
    pub fn import(&self, file: &RegisterFile) -> Result<ImportSummary, IssuerError> {
        let prepared = self.prepare_replace(file)?;
        self.trees()[..]
            .transaction(|views| prepared.apply_tx(views))
            .map_err(|e| match e {
                TransactionError::Storage(source) => IssuerError::Storage { source },
                TransactionError::Abort(error) => error,
            })?;
        self.db.flush()?;
        Ok(prepared.summary())
    }

    /// Validates `file` ([`RegisterFile::validate`]'s rules) and computes everything that
    /// replacing the register's content with it writes: every entry of the four trees, and every
    /// key present now but absent from `file` (to be removed). Nothing is written: apply the result
    /// with [`PreparedReplace::apply_tx`] inside a transaction over [`Register::trees`] (and, if
    /// wanted, other trees of the same database), then flush.
    ///
    /// The keys to remove are read now, outside the transaction: the register must not change
    /// between this call and the transaction (one writer at a time, as for [`Register::import`]).
    pub fn prepare_replace(&self, file: &RegisterFile) -> Result<PreparedReplace, IssuerError> {
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

        // In the order of `trees()`.
        let writes = [persons, households, families, index];
        let mut removals: [Vec<sled::IVec>; 4] = Default::default();
        for ((tree, fresh), old) in self.trees().into_iter().zip(&writes).zip(&mut removals) {
            let fresh: HashSet<&[u8]> = fresh.iter().map(|(key, _)| key.as_slice()).collect();
            for key in tree.iter().keys() {
                let key = key?;
                if !fresh.contains(key.as_ref()) {
                    old.push(key);
                }
            }
        }
        Ok(PreparedReplace {
            writes,
            removals,
            summary: checked.summary,
        })
    }

    /// The register's four trees, in the order [`PreparedReplace::apply_tx`] expects their
    /// transactional views: persons, households, families, RRN index.
    pub fn trees(&self) -> [&sled::Tree; 4] {
        [
            &self.persons,
            &self.households,
            &self.families,
            &self.rrn_index,
        ]
    }

    /// Rebuilds the full register file from the trees: persons in id order, households in id
    /// order, `parent_child` ordered by child id then parent id, and each marriage once (its
    /// spouses in id order) ordered by `married_on`, then the spouses' ids. For a register written
    /// by [`Register::import`] the result validates and, up to that order, equals the imported
    /// file. Ids are ordered as bytes, which for the zero-padded ids (`P000001`) is their numeric
    /// order.
    ///
    /// Refuses (`storage_corrupt`) a store whose family links are not symmetric.
    pub fn export(&self) -> Result<RegisterFile, IssuerError> {
        let mut file = RegisterFile::empty();
        file.persons.reserve(self.persons.len());
        for value in self.persons.iter().values() {
            let stored: StoredPerson =
                serde_json::from_slice(&value?).map_err(|e| corrupt("person", &e))?;
            file.persons.push(stored.person);
        }
        file.households.reserve(self.households.len());
        for value in self.households.iter().values() {
            let household: HouseholdEntry =
                serde_json::from_slice(&value?).map_err(|e| corrupt("household", &e))?;
            file.households.push(household);
        }
        // Each relation is stored from both sides: parent_child once from the child's, marriages
        // once from the spouse whose id sorts first; the other sides must mirror them.
        let mut from_parents: BTreeSet<(String, String)> = BTreeSet::new();
        let mut marriage_sides = 0usize;
        for entry in self.families.iter() {
            let (key, value) = entry?;
            let id = String::from_utf8(key.to_vec()).map_err(|_| IssuerError::Corrupt {
                what: "family links",
                reason: "a person id is not UTF-8".to_owned(),
            })?;
            let links: FamilyLinks =
                serde_json::from_slice(&value).map_err(|e| corrupt("family links", &e))?;
            for parent in links.parents {
                file.families.parent_child.push(ParentChild {
                    parent,
                    child: id.clone(),
                });
            }
            for child in links.children {
                from_parents.insert((child, id.clone()));
            }
            marriage_sides += links.marriages.len();
            for marriage in links.marriages {
                if id < marriage.spouse {
                    file.families.marriages.push(Marriage {
                        spouses: [id.clone(), marriage.spouse],
                        married_on: marriage.married_on,
                        divorced_on: marriage.divorced_on,
                    });
                }
            }
        }
        let from_children: BTreeSet<(String, String)> = file
            .families
            .parent_child
            .iter()
            .map(|relation| (relation.child.clone(), relation.parent.clone()))
            .collect();
        if from_children != from_parents
            || from_children.len() != file.families.parent_child.len()
            || marriage_sides != 2 * file.families.marriages.len()
        {
            return Err(IssuerError::Corrupt {
                what: "family links",
                reason: "the two sides of a relation differ".to_owned(),
            });
        }
        file.families
            .parent_child
            .sort_by(|a, b| (&a.child, &a.parent).cmp(&(&b.child, &b.parent)));
        file.families.marriages.sort_by(|a, b| {
            (a.married_on, &a.spouses, a.divorced_on).cmp(&(
                b.married_on,
                &b.spouses,
                b.divorced_on,
            ))
        });
        Ok(file)
    }

    /// The person with this register id.
    pub fn person(&self, person_id: &str) -> Result<PersonEntry, IssuerError> {
        self.load_person(person_id).map(|loaded| loaded.entry)
    }

    pub(crate) fn load_person(&self, person_id: &str) -> Result<LoadedPerson, IssuerError> {
        let stored: StoredPerson = self.stored_person(person_id)?;
        let rrn = stored_rrn(&stored.person.rrn, &stored.person.id)?;
        Ok(LoadedPerson {
            entry: stored.person,
            rrn,
            household: stored.household,
        })
    }

    /// The stored record of `person_id`, read as `T` (the whole person or the brief).
    fn stored_person<T: serde::de::DeserializeOwned>(
        &self,
        person_id: &str,
    ) -> Result<T, IssuerError> {
        let bytes =
            self.persons
                .get(person_id.as_bytes())?
                .ok_or_else(|| IssuerError::PersonNotFound {
                    person_id: shown_id(person_id),
                })?;
        serde_json::from_slice(&bytes).map_err(|e| corrupt("person", &e))
    }

    /// [`Register::load_person`] reduced to what a 등본 shows.
    pub(crate) fn load_brief(&self, person_id: &str) -> Result<PersonBrief, IssuerError> {
        let stored: StoredBrief = self.stored_person(person_id)?;
        let rrn = stored_rrn(&stored.person.rrn, &stored.person.id)?;
        Ok(PersonBrief {
            id: stored.person.id,
            name: stored.person.name,
            name_hanja: stored.person.name_hanja,
            rrn,
            deceased: stored.person.died_on.is_some(),
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
        // Not `with_capacity(len())`: sled counts a tree by iterating it.
        let mut ids = Vec::new();
        for key in self.persons.iter().keys() {
            let key = key?;
            ids.push(String::from_utf8_lossy(&key).into_owned());
        }
        Ok(ids)
    }

    /// The head of every household, in household-id order: whom a 등본 is issued to when a
    /// whole district is re-issued (cheaper than [`Register::export`], which reads every person
    /// and relation too).
    pub fn household_heads(&self) -> Result<Vec<String>, IssuerError> {
        // Not `with_capacity(len())`: sled counts a tree by iterating it.
        let mut heads = Vec::new();
        for value in self.households.iter().values() {
            let household: HouseholdEntry =
                serde_json::from_slice(&value?).map_err(|e| corrupt("household", &e))?;
            heads.push(household.head);
        }
        Ok(heads)
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
