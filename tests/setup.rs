//! The set-up the end-to-end tests share: how one test file runs `dojang` ([`Dojang`]), and the
//! parties most tests start from, each in its folder of one directory ([`Setting`]):
//! - `ministry/`: the root authority [`MINISTRY`] (행정안전부), its public root key in `root.jwk`;
//! - `agency/`: 서울특별시 종로구청, as the did:web issuer [`AGENCY`] or as a did:key one;
//! - `bank/`: the verifier [`BANK`] (한빛은행), its public key in `bank-key.jwk`;
//! - `register.json`: generated households, imported into the agency;
//! - `wallet/`: the holder's wallet;
//! - `list.jwt`: the ministry's published trust list.
//!
//! Each step runs the commands a user would, checked to succeed. A test that needs other names,
//! flags or another order runs its own commands, one role at a time ([`Dojang::role`],
//! [`Setting::trust`], [`Setting::agency`], [`Setting::bank`], [`Setting::wallet`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use crate::{dojang, path_str as s, run_dojang, Output};

/// The ministry's DID (행정안전부, the root authority of the trust list).
pub const MINISTRY: &str = "did:web:mois.example";
/// The agency's did:web DID (서울특별시 종로구청).
pub const AGENCY: &str = "did:web:jongno.example";
/// The bank's client id (한빛은행), as a verifier and as a relying party on the trust list.
pub const BANK: &str = "https://bank.example";
/// The type of a 주민등록표 등본.
pub const COPY: &str = "urn:dojang:kr:resident-registration-copy:1";
/// The type of a 주민등록표 초본.
pub const ABSTRACT: &str = "urn:dojang:kr:resident-registration-abstract:1";
/// The type of a 가족관계증명서.
pub const FAMILY: &str = "urn:dojang:kr:family-relation-certificate:1";

/// The arguments of `dojang trust --dir <dir> …` that make [`MINISTRY`] the root authority.
pub const MINISTRY_INIT: [&str; 7] = [
    "init",
    "--id",
    MINISTRY,
    "--name-ko",
    "행정안전부",
    "--name-en",
    "Ministry of the Interior and Safety",
];

/// How the commands of one test file run `dojang`: all with the same wallet passphrase in
/// `DOJANG_WALLET_PASSPHRASE` (so that a wallet one command creates opens in the next), or all
/// without one.
#[derive(Debug, Clone, Copy)]
pub struct Dojang {
    passphrase: Option<&'static str>,
}

impl Dojang {
    /// Commands run with no wallet passphrase set.
    pub const PLAIN: Dojang = Dojang { passphrase: None };

    /// Commands run with `passphrase` as the wallet passphrase.
    pub const fn with_passphrase(passphrase: &'static str) -> Dojang {
        Dojang {
            passphrase: Some(passphrase),
        }
    }

    /// Runs `dojang args…` within the time limit; a refusal is returned, a panic of `dojang` fails
    /// the test (see [`run_dojang`]).
    pub fn run(self, args: &[&str]) -> Output {
        let mut command = dojang();
        command.args(args);
        if let Some(passphrase) = self.passphrase {
            command.env("DOJANG_WALLET_PASSPHRASE", passphrase);
        }
        run_dojang(&mut command)
    }

    /// Runs `dojang <role> --dir <dir> args…`: a command of one role (`issuer`, `verifier`,
    /// `wallet`, `trust`) on its folder.
    pub fn role(self, role: &str, dir: &Path, args: &[&str]) -> Output {
        let mut all = vec![role, "--dir", s(dir)];
        all.extend_from_slice(args);
        self.run(&all)
    }
}

/// The parties of a test, each in its folder of one directory (see the module's documentation),
/// set up step by step through the `dojang` binary.
#[derive(Debug)]
pub struct Setting {
    dojang: Dojang,
    dir: PathBuf,
    /// The temporary directory made by [`Setting::temporary`], removed when the setting is dropped.
    _temp: Option<TempDir>,
}

impl Setting {
    /// The parties in `dir`, their commands run by `dojang`. Nothing is made yet.
    pub fn new(dojang: Dojang, dir: &Path) -> Setting {
        Setting {
            dojang,
            dir: dir.to_path_buf(),
            _temp: None,
        }
    }

    /// The parties in a new temporary directory, removed with the setting; their commands run by
    /// `dojang`. Nothing is made yet.
    ///
    /// # Panics
    /// When the directory cannot be made.
    pub fn temporary(dojang: Dojang) -> Setting {
        let temp = TempDir::new().expect("make a temporary directory");
        Setting {
            dojang,
            dir: temp.path().to_path_buf(),
            _temp: Some(temp),
        }
    }

    /// `name` in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Runs `dojang trust --dir ministry args…`.
    pub fn trust(&self, args: &[&str]) -> Output {
        self.dojang.role("trust", &self.path("ministry"), args)
    }

    /// Runs `dojang issuer --dir agency args…`.
    pub fn agency(&self, args: &[&str]) -> Output {
        self.dojang.role("issuer", &self.path("agency"), args)
    }

    /// Runs `dojang verifier --dir bank args…`.
    pub fn bank(&self, args: &[&str]) -> Output {
        self.dojang.role("verifier", &self.path("bank"), args)
    }

    /// Runs `dojang wallet --dir wallet args…`.
    pub fn wallet(&self, args: &[&str]) -> Output {
        self.dojang.role("wallet", &self.path("wallet"), args)
    }

    /// The ministry (its public root key in `root.jwk`) and the agency as [`AGENCY`], accredited
    /// by the ministry for the credential types `vcts` from 2026-01-01 with the agency's issuer
    /// key. Nothing is published yet.
    ///
    /// # Panics
    /// When a command fails.
    pub fn accredit_agency(&self, vcts: &[&str]) {
        self.trust(&MINISTRY_INIT).success();
        self.trust(&["root-key", "--out", s(&self.path("root.jwk"))])
            .success();
        self.agency(&["init", "--office", "서울특별시 종로구청", "--did", AGENCY])
            .success();
        let key = self.path("agency/issuer-key.jwk");
        let mut accredit = vec![
            "accredit",
            "--did",
            AGENCY,
            "--name-ko",
            "서울특별시 종로구청",
            "--name-en",
            "Jongno-gu Office",
        ];
        for &vct in vcts {
            accredit.extend(["--vct", vct]);
        }
        accredit.extend(["--key", s(&key), "--not-before", "2026-01-01T00:00:00Z"]);
        self.trust(&accredit).success();
    }

    /// The bank's verifier (its public key in `bank-key.jwk`), registered with the ministry as a
    /// relying party entitled to the name and the address of a [`COPY`].
    ///
    /// # Panics
    /// When a command fails or the key cannot be written.
    pub fn register_bank(&self) {
        let bank_key = self
            .bank(&["init", "--client-id", BANK])
            .success()
            .stdout
            .clone();
        std::fs::write(self.path("bank-key.jwk"), bank_key).expect("write bank-key.jwk");
        self.trust(&[
            "register-rp",
            "--id",
            BANK,
            "--name-ko",
            "한빛은행",
            "--name-en",
            "Hanbit Bank",
            "--key",
            s(&self.path("bank-key.jwk")),
            "--entitle",
            &format!("{COPY}=name,address"),
        ])
        .success();
    }

    /// The ministry's trust list, published to `list.jwt`.
    ///
    /// # Panics
    /// When the command fails.
    pub fn publish(&self) {
        self.trust(&["publish", "--out", s(&self.path("list.jwt"))])
            .success();
    }

    /// A register of `households` generated households in `register.json` (`seed` picks them,
    /// else the generator's default), imported into the agency; returns the register.
    ///
    /// # Panics
    /// When a command fails or the register is not JSON.
    pub fn import_register(&self, households: u32, seed: Option<u64>) -> Value {
        let register = self.path("register.json");
        let households = households.to_string();
        let seed = seed.map(|seed| seed.to_string());
        let mut generate = vec!["issuer", "generate", "--households", &households];
        if let Some(seed) = &seed {
            generate.extend(["--seed", seed]);
        }
        generate.extend(["--out", s(&register)]);
        self.dojang.run(&generate).success();
        self.agency(&["import", s(&register)]).success();
        let text = std::fs::read_to_string(&register).expect("read register.json");
        serde_json::from_str(&text).expect("register.json is JSON")
    }

    /// `dojang issuer --dir agency serve --listen 127.0.0.1:0` with `admin_token` as its
    /// `DOJANG_ADMIN_TOKEN`, to start as a service (with no wallet passphrase: it opens no wallet).
    pub fn agency_service(&self, admin_token: &str) -> Command {
        let mut command = dojang();
        command
            .args(["issuer", "--dir", s(&self.path("agency")), "serve"])
            .args(["--listen", "127.0.0.1:0"])
            .env("DOJANG_ADMIN_TOKEN", admin_token);
        command
    }

    /// `dojang verifier serve --dir bank --listen 127.0.0.1:0` trusting `list.jwt` under
    /// `root.jwk`, reading the agency's status list at `status_list_url` (then `extra`) and
    /// refreshing it every second, with `rp_token` as its `DOJANG_RP_TOKEN`, to start as a
    /// service (with no wallet passphrase).
    pub fn bank_service(&self, status_list_url: &str, extra: &[&str], rp_token: &str) -> Command {
        let mut command = dojang();
        command
            .args(["verifier", "serve", "--dir", s(&self.path("bank"))])
            .args(["--listen", "127.0.0.1:0"])
            .args(["--root-key", s(&self.path("root.jwk"))])
            .args(["--trust-list", s(&self.path("list.jwt"))])
            .args(["--status-list-url", status_list_url])
            .args(extra)
            .args(["--refresh", "1"])
            .env("DOJANG_RP_TOKEN", rp_token);
        command
    }
}
