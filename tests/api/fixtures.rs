//! The test data every module's tests build on: valid fictional resident IDs and families of both
//! districts, each a valid registration body that a test changes where its case differs.

use serde_json::{json, Value};

/// A valid fictional resident ID (region 99) born on `birth` (YYYYMMDD), female or male.
pub fn resident_id(birth: &str, serial: u32, female: bool) -> String {
    let order = (serial % 400) * 2 + u32::from(!female) + 100;
    let first17 = format!("990102{birth}{order:03}");
    format!(
        "{first17}{}",
        nuanxin_privacy::check_digit(&first17).expect("digits")
    )
}

/// A valid bereaved family on a street and community of the district, with 3 contacts.
pub fn family_body(street: &str, community: &str, serial: u32) -> Value {
    json!({
        "kind": "bereaved",
        "hukou_district": "xicheng",
        "street": street,
        "community": community,
        "address": format!("测试路{serial}号"),
        "coordinates": {"lat": 39.94, "lon": 116.37},
        "child": {"status": "deceased", "died_on": "2024-03-02"},
        "parents": [
            {"role": "mother", "name": "测试母亲", "resident_id": resident_id("19640501", serial, true), "phone": "13800138000", "self_care": "partial"},
            {"role": "father", "name": "测试父亲", "resident_id": resident_id("19620301", serial, false), "alive": false}
        ],
        "household": {"monthly_income_per_capita_cny": 1800, "prior_year_total_income_cny": 30000},
        "contacts": [
            {"name": "街道干部甲", "category": "street_cadre", "phone": "13900000001"},
            {"name": "家庭医生乙", "category": "family_doctor"},
            {"name": "网格员丙", "category": "grid_worker"}
        ]
    })
}

/// A Zhangdian bereaved family, both parents alive at home and asking for home services (so each
/// parent aged 65+ has `elderly_care_home_services`, paid by 区民政局).
pub fn zd_family(street: &str, community: &str, serial: u32, mother_birth: &str) -> Value {
    let father_birth = "19530301";
    let iso = |d: &str| format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..]);
    json!({
        "kind": "bereaved",
        "hukou_district": "zhangdian",
        "street": street,
        "community": community,
        "address": format!("张店测试路{serial}号"),
        "child": {"status": "deceased", "died_on": "2020-03-02"},
        "parents": [
            {"role": "mother", "name": format!("测试母亲{serial}"), "resident_id": resident_id(mother_birth, serial, true),
             "birth_date": iso(mother_birth), "wants_home_services": true},
            {"role": "father", "name": format!("测试父亲{serial}"), "resident_id": resident_id(father_birth, serial, false),
             "birth_date": iso(father_birth), "wants_home_services": true}
        ],
        "household": {"monthly_income_per_capita_cny": 1800, "prior_year_total_income_cny": 30000},
        "contacts": [
            {"name": "街道干部甲", "category": "street_cadre"},
            {"name": "家庭医生乙", "category": "family_doctor"},
            {"name": "网格员丙", "category": "grid_worker"}
        ]
    })
}

/// A disabled-child family whose mother turns 60 on `mother_birth` + 60 years (father under 60).
pub fn disabled_family(serial: u32, mother_birth: &str) -> Value {
    let mut body = zd_family("mashang", "mashang-qiyue", serial, mother_birth);
    body["kind"] = json!("disabled");
    body["child"] =
        json!({"status": "disabled", "disability_grade": 2, "certified_on": "2019-05-01"});
    body["parents"][1]["birth_date"] = json!("1970-03-01");
    body["parents"][1]["resident_id"] = json!(resident_id("19700301", serial, false));
    body
}
