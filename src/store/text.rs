//! Enums stored as TEXT: the `text_enum!` macro gives each variant one stored name, binds
//! that name when written and refuses an unknown name when read (never a silent default).
//!
//! The stored names are the ones the columns always held, so no migration is needed; the
//! same names serialize to JSON and to templates.

/// Declares an enum stored in a TEXT column:
///
/// ```ignore
/// text_enum! {
///     /// Who may see a comment.
///     pub enum Visibility {
///         /// Staff only.
///         Staff = "staff",
///         Student = "student",
///     }
/// }
/// ```
///
/// gives `as_str()`, `parse()`, `ALL`, `Display`, `FromStr`, serde as the name, and diesel
/// `ToSql`/`FromSql` for `Text` on every backend (reading an unknown name is an error).
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $text:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                $variant
            ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Reads a stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::store::text::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s).ok_or_else(|| $crate::store::text::UnknownName {
                    kind: stringify!($name),
                    name: s.to_owned(),
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let s = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    DB,
                >>::from_sql(bytes)?;
                Ok(s.parse::<$name>()?)
            }
        }
    };
}

pub(crate) use text_enum;

/// A stored or submitted name that no variant has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {name:?}")]
pub struct UnknownName {
    pub kind: &'static str,
    pub name: String,
}

#[cfg(test)]
mod tests {
    text_enum! {
        /// A test enum.
        enum Colour {
            Red = "red",
            /// Documented variant.
            Dark = "dark_blue",
        }
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(*c));
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(serde_json::from_str::<Colour>(&json).unwrap(), *c);
        }
        assert_eq!(Colour::Dark.to_string(), "dark_blue");
        let err = "green".parse::<Colour>().unwrap_err();
        assert_eq!(err.to_string(), "unknown Colour \"green\"");
        assert!(serde_json::from_str::<Colour>("\"green\"").is_err());
    }
}

/// A TEXT column that holds JSON, read and written as `T` with serde: a row never carries
/// the raw text, and a value that does not parse is an error when the row is read.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::Serialize> serde::Serialize for Json<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: serde::Serialize + std::fmt::Debug>
    diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for Json<T>
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
    ) -> diesel::serialize::Result {
        out.set_value(serde_json::to_string(&self.0)?);
        Ok(diesel::serialize::IsNull::No)
    }
}

impl<T: serde::Serialize + std::fmt::Debug>
    diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for Json<T>
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
    ) -> diesel::serialize::Result {
        use std::io::Write;
        serde_json::to_writer(&mut *out, &self.0)?;
        out.flush()?;
        Ok(diesel::serialize::IsNull::No)
    }
}

impl<T, DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Json<T>
where
    T: serde::de::DeserializeOwned,
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let s =
            <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
        Ok(Json(serde_json::from_str(&s)?))
    }
}

/// Stored names for the role and message kinds the LTI core defines (it knows nothing of
/// the database): sessions store them with `serialize_as`/`deserialize_as = String`.
mod lti_names {
    use super::UnknownName;
    use crate::lti::launch::MessageType;
    use crate::lti::roles::ToolRole;

    impl From<ToolRole> for String {
        fn from(r: ToolRole) -> String {
            r.as_str().to_owned()
        }
    }

    impl TryFrom<String> for ToolRole {
        type Error = UnknownName;
        fn try_from(s: String) -> Result<Self, UnknownName> {
            ToolRole::parse(&s).ok_or(UnknownName {
                kind: "ToolRole",
                name: s,
            })
        }
    }

    impl From<MessageType> for String {
        fn from(m: MessageType) -> String {
            m.as_str().to_owned()
        }
    }

    impl TryFrom<String> for MessageType {
        type Error = UnknownName;
        fn try_from(s: String) -> Result<Self, UnknownName> {
            MessageType::parse(&s).ok_or(UnknownName {
                kind: "MessageType",
                name: s,
            })
        }
    }
}
