//! Data requests and releases as pure state machines (issue 12): who may decide a request and what
//! becomes of it, and whether a release may still be read on a date. The rules themselves, request
//! checking and minimisation live in `nuanxin-sharing`.

use chrono::NaiveDate;

nuanxin_text_enum::text_enum! {
    /// Where a department's data request stands.
    pub enum RequestStatus {
        Pending = "pending" / "待审批",
        Approved = "approved" / "已批准",
        Rejected = "rejected" / "已驳回",
    }
}

nuanxin_text_enum::text_enum! {
    /// Whether a release's records are all written (`data_releases.state`): it is read only once
    /// ready.
    pub enum ReleaseBuild {
        Building = "building",
        Ready = "ready",
    }
}

nuanxin_text_enum::text_enum! {
    /// Where a release stands for its reader today: its build, then its end (revoked by the
    /// steward, or past its last day).
    pub enum ReleaseState {
        Ready = "ready" / "可使用",
        Building = "building" / "生成中",
        Revoked = "revoked" / "已撤销",
        Expired = "expired" / "已过期",
    }
}

nuanxin_text_enum::text_enum! {
    /// How a family consented to a department's use of its data beyond the documents' basis
    /// (`sharing_consents.how`); an oral consent names its witness.
    pub enum ConsentHow {
        Written = "written" / "书面同意",
        Oral = "oral" / "口头同意",
        Online = "online" / "线上同意",
    }
}

/// The steward's decision on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

/// Why a decision cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionError {
    /// Nobody decides their own request (four eyes).
    OwnRequest,
    /// The request was decided already.
    AlreadyDecided(RequestStatus),
}

impl Decision {
    /// The status a request moves to when `decider` decides it, `requester` having asked.
    pub fn apply(
        self,
        from: RequestStatus,
        requester: nuanxin_ids::UserId,
        decider: nuanxin_ids::UserId,
    ) -> Result<RequestStatus, DecisionError> {
        if requester == decider {
            return Err(DecisionError::OwnRequest);
        }
        match (self, from) {
            (Decision::Approve, RequestStatus::Pending) => Ok(RequestStatus::Approved),
            (Decision::Reject, RequestStatus::Pending) => Ok(RequestStatus::Rejected),
            (_, other) => Err(DecisionError::AlreadyDecided(other)),
        }
    }
}

/// Whether a release can be read on a day in the district.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readability {
    Readable,
    /// Approval is still writing its records.
    Building,
    /// Past the end of its period (410).
    Expired,
    /// Revoked by the steward (410).
    Revoked,
}

/// A release that expires on `expires_on` is readable through the end of that day; a revocation
/// ends it at once, whatever the date.
pub fn readability(
    ready: bool,
    revoked: bool,
    expires_on: NaiveDate,
    today: NaiveDate,
) -> Readability {
    if revoked {
        Readability::Revoked
    } else if today > expires_on {
        Readability::Expired
    } else if !ready {
        Readability::Building
    } else {
        Readability::Readable
    }
}

/// The last day a release of `days` days approved on `released_on` may be read (day 1 is the
/// approval day).
pub fn expires_on(released_on: NaiveDate, days: u32) -> NaiveDate {
    released_on
        .checked_add_days(chrono::Days::new(u64::from(days.max(1)) - 1))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nuanxin_ids::UserId;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn nobody_decides_their_own_request_and_a_decision_is_final() {
        let (a, b) = (UserId::generate(), UserId::generate());
        assert_eq!(
            Decision::Approve.apply(RequestStatus::Pending, a, a),
            Err(DecisionError::OwnRequest)
        );
        assert_eq!(
            Decision::Reject.apply(RequestStatus::Pending, a, a),
            Err(DecisionError::OwnRequest)
        );
        assert_eq!(
            Decision::Approve.apply(RequestStatus::Pending, a, b),
            Ok(RequestStatus::Approved)
        );
        assert_eq!(
            Decision::Reject.apply(RequestStatus::Pending, a, b),
            Ok(RequestStatus::Rejected)
        );
        for from in [RequestStatus::Approved, RequestStatus::Rejected] {
            for decision in [Decision::Approve, Decision::Reject] {
                assert_eq!(
                    decision.apply(from, a, b),
                    Err(DecisionError::AlreadyDecided(from))
                );
            }
        }
    }

    #[test]
    fn a_release_is_readable_through_its_last_day_and_never_after_revocation() {
        let last = expires_on(d("2026-12-01"), 30);
        assert_eq!(last, d("2026-12-30"));
        assert_eq!(expires_on(d("2026-12-01"), 1), d("2026-12-01"));
        assert_eq!(
            readability(true, false, last, d("2026-12-30")),
            Readability::Readable
        );
        assert_eq!(
            readability(true, false, last, d("2026-12-31")),
            Readability::Expired
        );
        assert_eq!(
            readability(true, true, last, d("2026-12-01")),
            Readability::Revoked
        );
        assert_eq!(
            readability(false, false, last, d("2026-12-01")),
            Readability::Building
        );
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            RequestStatus::Pending,
            RequestStatus::Approved,
            RequestStatus::Rejected,
        ] {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RequestStatus::parse("done"), None);
    }
}
