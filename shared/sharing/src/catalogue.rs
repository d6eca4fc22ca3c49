//! The fixed catalogue of register fields that may ever be released, the release modes, and the
//! undo relation: which released facts reveal what a mask hides.

nuanxin_text_enum::text_enum! {
    /// A register field that a sharing rule may release. Nothing outside this list ever leaves the register.
    #[derive(PartialOrd, Ord)]
    pub enum Field {
        Kind = "kind" / "家庭类别",
        Street = "street" / "所属街道",
        Community = "community" / "所属社区",
        Address = "address" / "居住地址",
        ParentName = "parent.name" / "父母姓名",
        ParentResidentId = "parent.resident_id" / "父母身份证号码",
        ParentBirthDate = "parent.birth_date" / "父母出生日期",
        ParentPhone = "parent.phone" / "父母联系电话",
        ParentAge = "parent.age" / "父母年龄",
        ParentSelfCare = "parent.self_care" / "父母生活自理能力",
        ParentAlive = "parent.alive" / "父母是否健在",
        IncomePerCapita = "household.monthly_income_per_capita_cny" / "家庭月人均收入（元）",
        ChildStatus = "child.status" / "子女状况",
        ChildDisabilityGrade = "child.disability_grade" / "子女残疾等级",
        Entitlements = "entitlements" / "享受的扶助项目",
    }
}

nuanxin_text_enum::text_enum! {
    /// How a field's value is released.
    #[derive(PartialOrd, Ord)]
    pub enum Mode {
        /// The value as on the register.
        Full = "full" / "原样提供",
        /// Masked: `110105********002X`, `138****5678`, `张*`.
        Masked = "masked" / "脱敏",
        /// Dates only: the year.
        Year = "year" / "仅年份",
        /// A keyed pseudonym, stable for one requesting department, unlinkable across departments.
        Pseudonym = "pseudonym" / "化名编号",
    }
}

/// A piece of information a released value may carry. A mask hides some of these; the undo relation
/// refuses a rule in which another field reveals (even partly) a piece that a mask hides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Piece {
    /// Resident ID digits 1–6 (the region code).
    IdRegion,
    /// Resident ID digits 7–10, the birth year.
    BirthYear,
    /// Resident ID digits 11–14, the birth month and day.
    BirthMonthDay,
    /// Resident ID digits 15–18 (sequence, sex, check character).
    IdTail,
    /// Phone: the first three digits (mobile) or the area code (landline).
    PhoneHead,
    /// Phone: the digits the mask hides.
    PhoneMiddle,
    /// Phone: the last four digits.
    PhoneTail,
    /// The first character of a name (the surname for most names).
    NameHead,
    /// The rest of the name.
    NameRest,
}

impl Field {
    /// The modes this field may be released in.
    pub fn modes(self) -> &'static [Mode] {
        match self {
            Self::ParentName | Self::ParentPhone => &[Mode::Full, Mode::Masked],
            Self::ParentResidentId => &[Mode::Full, Mode::Masked, Mode::Pseudonym],
            Self::ParentBirthDate => &[Mode::Full, Mode::Year],
            _ => &[Mode::Full],
        }
    }

    /// True for the fields of each parent (released as a list, one entry per parent).
    pub fn per_parent(self) -> bool {
        self.as_str().starts_with("parent.")
    }

    /// An example of a released value in `mode`, for the steward's view of a request and for the
    /// README (fictional values; the masks are those of `nuanxin-privacy`).
    pub fn example(self, mode: Mode) -> &'static str {
        match (self, mode) {
            (Self::ParentResidentId, Mode::Full) => "11010519491231002X",
            (Self::ParentResidentId, Mode::Masked) => "110105********002X",
            (Self::ParentResidentId, Mode::Pseudonym) => "P-7G3K0W9QH2M1XZ4A",
            (Self::ParentPhone, Mode::Full) => "13812345678",
            (Self::ParentPhone, Mode::Masked) => "138****5678",
            (Self::ParentName, Mode::Full) => "王小明",
            (Self::ParentName, Mode::Masked) => "王**",
            (Self::ParentBirthDate, Mode::Full) => "1949-12-31",
            (Self::ParentBirthDate, Mode::Year) => "1949",
            (Self::ParentAge, _) => "76",
            (Self::Kind, _) => "bereaved",
            (Self::Street, _) => "xinjiekou",
            (Self::Community, _) => "xinjiekou-1",
            (Self::Address, _) => "某街某号",
            (Self::ParentSelfCare, _) => "partial",
            (Self::ParentAlive, _) => "true",
            (Self::IncomePerCapita, _) => "1800",
            (Self::ChildStatus, _) => "deceased",
            (Self::ChildDisabilityGrade, _) => "2",
            (Self::Entitlements, _) => "health_check",
            (
                Self::ParentResidentId
                | Self::ParentPhone
                | Self::ParentName
                | Self::ParentBirthDate,
                _,
            ) => "",
        }
    }

    /// The pieces this field reveals in `mode`, fully or in part. Partly counts: an age with the
    /// release date narrows the birth year to two values and tells whether the birthday has passed.
    pub fn reveals(self, mode: Mode) -> &'static [Piece] {
        use Piece::*;
        match (self, mode) {
            (Self::ParentResidentId, Mode::Full) => &[IdRegion, BirthYear, BirthMonthDay, IdTail],
            (Self::ParentResidentId, Mode::Masked) => &[IdRegion, IdTail],
            (Self::ParentBirthDate, Mode::Full) => &[BirthYear, BirthMonthDay],
            (Self::ParentBirthDate, Mode::Year) => &[BirthYear],
            (Self::ParentAge, _) => &[BirthYear, BirthMonthDay],
            (Self::ParentPhone, Mode::Full) => &[PhoneHead, PhoneMiddle, PhoneTail],
            (Self::ParentPhone, Mode::Masked) => &[PhoneHead, PhoneTail],
            (Self::ParentName, Mode::Full) => &[NameHead, NameRest],
            (Self::ParentName, Mode::Masked) => &[NameHead],
            _ => &[],
        }
    }

    /// The pieces a mode of this field keeps hidden: what the other fields of a rule must not reveal.
    pub fn hides(self, mode: Mode) -> &'static [Piece] {
        use Piece::*;
        match (self, mode) {
            (Self::ParentResidentId, Mode::Masked) => &[BirthYear, BirthMonthDay],
            (Self::ParentBirthDate, Mode::Year) => &[BirthMonthDay],
            (Self::ParentPhone, Mode::Masked) => &[PhoneMiddle],
            (Self::ParentName, Mode::Masked) => &[NameRest],
            _ => &[],
        }
    }
}

impl Piece {
    /// What the piece is, for load errors.
    pub fn describe(self) -> &'static str {
        match self {
            Self::IdRegion => "the ID's region code (digits 1-6)",
            Self::BirthYear => "the birth year (ID digits 7-10)",
            Self::BirthMonthDay => "the birth month and day (ID digits 11-14)",
            Self::IdTail => "the ID's last four characters",
            Self::PhoneHead => "the phone's first digits",
            Self::PhoneMiddle => "the phone's middle digits",
            Self::PhoneTail => "the phone's last four digits",
            Self::NameHead => "the name's first character",
            Self::NameRest => "the rest of the name",
        }
    }
}

/// A mask undone: `revealer` (in its mode) reveals `piece`, which `masked` (in its mode) hides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undo {
    pub masked: (Field, Mode),
    pub revealer: (Field, Mode),
    pub piece: Piece,
}

/// Every mask among `fields` that another field of the same set undoes (empty: the set is safe).
pub fn undone_masks(fields: &[(Field, Mode)]) -> Vec<Undo> {
    let mut out = Vec::new();
    for &masked in fields {
        for &piece in masked.0.hides(masked.1) {
            for &revealer in fields {
                if revealer.0 != masked.0 && revealer.0.reveals(revealer.1).contains(&piece) {
                    out.push(Undo {
                        masked,
                        revealer,
                        piece,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        for f in Field::ALL {
            assert_eq!(Field::parse(f.as_str()), Some(f));
            assert!(!f.modes().is_empty());
        }
        assert_eq!(Field::parse("parent.password"), None);
        for m in [Mode::Full, Mode::Masked, Mode::Year, Mode::Pseudonym] {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
        }
    }

    #[test]
    fn a_mode_hides_only_what_the_full_value_would_reveal() {
        for f in Field::ALL {
            for &m in f.modes() {
                for p in f.hides(m) {
                    assert!(f.reveals(Mode::Full).contains(p), "{f} {m} {p:?}");
                    assert!(!f.reveals(m).contains(p), "{f} {m} reveals what it hides");
                }
            }
        }
    }

    #[test]
    fn examples_are_the_privacy_crates_masks() {
        use nuanxin_privacy::{mask_name, Phone, ResidentId};
        let id = ResidentId::parse(Field::ParentResidentId.example(Mode::Full)).unwrap();
        assert_eq!(id.masked(), Field::ParentResidentId.example(Mode::Masked));
        let birth = id.birth_date().format("%Y-%m-%d").to_string();
        assert_eq!(birth, Field::ParentBirthDate.example(Mode::Full));
        assert!(birth.starts_with(Field::ParentBirthDate.example(Mode::Year)));
        let phone = Phone::parse(Field::ParentPhone.example(Mode::Full)).unwrap();
        assert_eq!(phone.masked(), Field::ParentPhone.example(Mode::Masked));
        assert_eq!(
            mask_name(Field::ParentName.example(Mode::Full)),
            Field::ParentName.example(Mode::Masked)
        );
        for f in Field::ALL {
            for &m in f.modes() {
                assert!(!f.example(m).is_empty(), "{f} {m}");
            }
        }
    }

    #[test]
    fn the_documented_undos() {
        use Field::*;
        let id = (ParentResidentId, Mode::Masked);
        for other in [
            (ParentBirthDate, Mode::Full),
            (ParentBirthDate, Mode::Year),
            (ParentAge, Mode::Full),
        ] {
            let undos = undone_masks(&[id, other, (Kind, Mode::Full)]);
            assert!(!undos.is_empty(), "{other:?}");
            assert!(undos.iter().all(|u| u.masked == id && u.revealer == other));
        }
        // A year-only birth date is undone by the age (whether the birthday has passed).
        assert!(
            !undone_masks(&[(ParentBirthDate, Mode::Year), (ParentAge, Mode::Full)]).is_empty()
        );
        // Safe sets.
        assert!(
            undone_masks(&[id, (ParentPhone, Mode::Masked), (ParentName, Mode::Masked)]).is_empty()
        );
        assert!(
            undone_masks(&[(ParentResidentId, Mode::Pseudonym), (ParentAge, Mode::Full)])
                .is_empty()
        );
        assert!(undone_masks(&[
            (ParentResidentId, Mode::Full),
            (ParentBirthDate, Mode::Full)
        ])
        .is_empty());
    }

    fn field_modes() -> impl Strategy<Value = Vec<(Field, Mode)>> {
        proptest::sample::subsequence(Field::ALL.to_vec(), 0..=Field::ALL.len()).prop_flat_map(
            |fs| {
                fs.into_iter()
                    .map(|f| proptest::sample::select(f.modes().to_vec()).prop_map(move |m| (f, m)))
                    .collect::<Vec<_>>()
            },
        )
    }

    proptest! {
        /// Brute force: the pieces the set reveals in union, minus those of each masked field itself,
        /// meet a hidden piece exactly when `undone_masks` reports it.
        #[test]
        fn undo_matches_brute_force(set in field_modes()) {
            let undos = undone_masks(&set);
            for &(f, m) in &set {
                let others: Vec<Piece> = set.iter().filter(|(g, _)| *g != f)
                    .flat_map(|&(g, n)| g.reveals(n).iter().copied()).collect();
                let leaked = f.hides(m).iter().any(|p| others.contains(p));
                prop_assert_eq!(leaked, undos.iter().any(|u| u.masked == (f, m)));
            }
        }
    }
}
