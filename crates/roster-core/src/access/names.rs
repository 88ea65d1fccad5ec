//! Type and action names interned to small integers, and permission sets made of them: a
//! decision compares integers instead of strings. Both tables only grow (there are a few dozen
//! names and a few hundred distinct sets in an install); a rebuild of the index starts them
//! afresh.

use super::permission::Permission;
use rustc_hash::FxHashMap;

/// A name's number; [`ANY`] stands for `*`.
pub(crate) type Name = u32;

/// `*`: any type or action.
pub(crate) const ANY: Name = u32::MAX;
/// A name asked about that no permission spells: only `*` covers or touches it.
pub(crate) const UNKNOWN: Name = u32::MAX - 1;

/// A permission with interned parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Perm {
    pub(crate) rtype: Name,
    pub(crate) action: Name,
}

/// A question's permission with interned parts: [`ANY`] asks for every type or action,
/// [`UNKNOWN`] names one no permission spells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Want {
    pub(crate) rtype: Name,
    pub(crate) action: Name,
}

impl Want {
    /// Whether holding `p` gives all of this: each part of `p` is `*` or the wanted one.
    pub(crate) fn covered_by(self, p: Perm) -> bool {
        (p.rtype == ANY || (self.rtype != ANY && p.rtype == self.rtype))
            && (p.action == ANY || (self.action != ANY && p.action == self.action))
    }

    /// Whether denying `p` takes away any of this.
    pub(crate) fn touched_by(self, p: Perm) -> bool {
        (p.rtype == ANY || self.rtype == ANY || p.rtype == self.rtype)
            && (p.action == ANY || self.action == ANY || p.action == self.action)
    }
}

/// The interned names and permission sets.
#[derive(Debug, Default)]
pub(crate) struct Names {
    numbers: FxHashMap<Box<str>, Name>,
    spelled: Vec<Box<str>>,
    set_numbers: FxHashMap<Box<[Perm]>, u32>,
    sets: Vec<Box<[Perm]>>,
}

impl Names {
    /// The number of `name`, given one if it has none.
    pub(crate) fn intern(&mut self, name: &str) -> Name {
        if let Some(n) = self.numbers.get(name) {
            return *n;
        }
        let n = self.spelled.len() as Name;
        self.spelled.push(name.into());
        self.numbers.insert(name.into(), n);
        n
    }

    /// The number of `name` if a permission spells it, else [`UNKNOWN`].
    pub(crate) fn find(&self, name: &str) -> Name {
        self.numbers.get(name).copied().unwrap_or(UNKNOWN)
    }

    /// The spelling of a number (`*` for [`ANY`]).
    pub(crate) fn spell(&self, n: Name) -> &str {
        self.spelled.get(n as usize).map_or("*", |s| s)
    }

    fn part(&mut self, p: Option<&str>) -> Name {
        p.map_or(ANY, |p| self.intern(p))
    }

    /// A parsed permission with interned parts.
    pub(crate) fn perm(&mut self, p: &Permission) -> Perm {
        Perm {
            rtype: self.part(p.rtype.as_deref()),
            action: self.part(p.action.as_deref()),
        }
    }

    /// The number of the set of stored permissions `perms`; spellings that no longer parse
    /// (they were validated when written) give nothing.
    pub(crate) fn set_of(&mut self, perms: &[String]) -> u32 {
        let set: Box<[Perm]> = perms
            .iter()
            .filter_map(|p| Permission::parse(p).ok())
            .map(|p| self.perm(&p))
            .collect();
        if let Some(n) = self.set_numbers.get(&set) {
            return *n;
        }
        let n = self.sets.len() as u32;
        self.sets.push(set.clone());
        self.set_numbers.insert(set, n);
        n
    }

    /// The permissions of set `n`.
    pub(crate) fn set(&self, n: u32) -> &[Perm] {
        self.sets.get(n as usize).map_or(&[], |s| s)
    }

    /// `p` as a permission again.
    pub(crate) fn permission(&self, p: Perm) -> Permission {
        let part = |n: Name| (n != ANY).then(|| self.spell(n).into());
        Permission {
            rtype: part(p.rtype),
            action: part(p.action),
        }
    }

    /// A question's permission with interned parts (`None` is `*`).
    pub(crate) fn want(&self, rtype: Option<&str>, action: Option<&str>) -> Want {
        Want {
            rtype: rtype.map_or(ANY, |t| self.find(t)),
            action: action.map_or(ANY, |a| self.find(a)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sets_are_numbered_once() {
        let mut names = Names::default();
        let a = names.set_of(&["device:read".into(), "*:write".into()]);
        let b = names.set_of(&["device:read".into(), "*:write".into()]);
        let c = names.set_of(&["device:read".into()]);
        assert_eq!(a, b, "the same set gets the same number");
        assert_ne!(a, c);
        assert_eq!(names.find("device"), names.intern("device"));
        assert_eq!(names.find("pcap"), UNKNOWN, "a name no permission spells");
        let spelled: Vec<String> = names
            .set(a)
            .iter()
            .map(|p| names.permission(*p).to_string())
            .collect();
        assert_eq!(spelled, ["device:read", "*:write"]);
        assert_eq!(
            names.set_of(&["Bad:Name".into()]),
            names.set_of(&[]),
            "an unparseable permission gives nothing"
        );
    }

    #[test]
    fn interned_matching_agrees_with_the_spelled_rules() {
        let spellings = [
            "*:*",
            "*:read",
            "device:*",
            "device:read",
            "device:write",
            "read",
        ];
        let wanted = [
            (Some("device"), Some("read")),
            (Some("device"), Some("write")),
            (Some("device"), None),
            (None, Some("read")),
            (None, None),
            (Some("pcap"), Some("read")),
            (Some("device"), Some("reboot")),
        ];
        let mut names = Names::default();
        for held in spellings {
            let p = Permission::parse(held).unwrap();
            let perm = names.perm(&p);
            for (t, a) in wanted {
                let spelled = crate::access::Wanted {
                    rtype: t,
                    action: a,
                };
                let want = names.want(t, a);
                assert_eq!(
                    want.covered_by(perm),
                    spelled.covered_by(&p),
                    "{held} covers {t:?}:{a:?}"
                );
                assert_eq!(
                    want.touched_by(perm),
                    spelled.touched_by(&p),
                    "{held} touches {t:?}:{a:?}"
                );
            }
        }
    }
}
