//! `nuanxin policy …`: evaluate facts from a file, and run the policy test cases beside each policy.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;

use crate::configuration::Settings;
use crate::onboarding::{read_policy, tenant_slugs, tenants_dir};

pub enum PolicyArgs {
    Evaluate {
        tenant: String,
        as_of: NaiveDate,
        explain: bool,
        file: PathBuf,
    },
    Test {
        tenant: Option<String>,
        /// Also run the cases against every mutant of the policy ([`nuanxin_policy::Policy::mutants`]).
        mutants: bool,
    },
}

pub fn run(settings: &Settings, args: PolicyArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let dir = tenants_dir(&settings.application.tenants_dir);
    match args {
        PolicyArgs::Evaluate {
            tenant,
            as_of,
            explain,
            file,
        } => {
            let policy = read_policy(&dir, &tenant)?
                .ok_or_else(|| format!("tenants/{tenant}/policy.yaml not found"))?;
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let de = &mut serde_json::Deserializer::from_str(&text);
            let facts: nuanxin_policy::FamilyFacts = serde_path_to_error::deserialize(de)
                .map_err(|e| format!("{}: field {}: {}", file.display(), e.path(), e.inner()))?;
            let evaluation = nuanxin_policy::evaluate(&policy, &facts, as_of);
            let out = if explain {
                evaluation.to_explained_json(&tenant, as_of)
            } else {
                evaluation.to_output_json(&tenant, as_of)
            };
            crate::cli::print_json(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        PolicyArgs::Test { tenant, mutants } => {
            let slugs = match tenant {
                Some(t) => vec![t],
                None => tenant_slugs(&dir),
            };
            let mut failed = 0usize;
            let mut passed = 0usize;
            let mut survived = 0usize;
            for slug in slugs {
                let policy = read_policy(&dir, &slug)?
                    .ok_or_else(|| format!("tenants/{slug}/policy.yaml not found"))?;
                let path = dir.join(&slug).join("policy_tests.yaml");
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let suite = nuanxin_policy::TestSuite::parse(&path.display().to_string(), &text)?;
                let report = suite.run(&policy);
                print!("{report}");
                passed += report.passed;
                failed += report.failed;
                if mutants {
                    let m = suite.mutation_report(&policy);
                    print!("{m}");
                    survived += m.survivors.len();
                }
            }
            println!("{passed} passed, {failed} failed");
            if mutants {
                println!("{survived} mutants survived");
            }
            Ok(if failed == 0 && survived == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
