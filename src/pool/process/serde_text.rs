//! Recovering the text of a `Serialize` impl's error, which postcard drops.
//!
//! postcard turns `serde::ser::Error::custom("why")` into a bare "Serde Serialization Error".
//! When encoding fails, the value is serialised once more into [`Discard`], a serializer that
//! writes nothing and whose error type keeps the message, so the caller learns *why*.

use std::fmt::{self, Display};

use serde::Serialize;
use serde::ser::{self, Serializer};

/// The message `value`'s `Serialize` impl fails with, if it fails.
pub(crate) fn serialize_error_text<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    value.serialize(Discard).err().map(|Custom(text)| text)
}

/// A serializer error that keeps its message.
#[derive(Debug)]
struct Custom(String);

impl Display for Custom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Custom {}

impl ser::Error for Custom {
    fn custom<T: Display>(message: T) -> Self {
        Custom(message.to_string())
    }
}

/// A serializer that goes through a value, writes nothing, and keeps the first error.
struct Discard;

type Done = Result<(), Custom>;

/// The methods for plain values: each accepts its value and writes nothing.
macro_rules! accept {
    ($($method:ident($($arg:ty),*);)*) => {
        $(fn $method(self, $(_: $arg),*) -> Done { Ok(()) })*
    };
}

impl Serializer for Discard {
    type Ok = ();
    type Error = Custom;
    type SerializeSeq = Discard;
    type SerializeTuple = Discard;
    type SerializeTupleStruct = Discard;
    type SerializeTupleVariant = Discard;
    type SerializeMap = Discard;
    type SerializeStruct = Discard;
    type SerializeStructVariant = Discard;

    accept! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Done {
        value.serialize(Discard)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Done {
        value.serialize(Discard)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Done {
        value.serialize(Discard)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Discard, Custom> {
        Ok(Discard)
    }

    fn serialize_tuple(self, _: usize) -> Result<Discard, Custom> {
        Ok(Discard)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Discard, Custom> {
        Ok(Discard)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Discard, Custom> {
        Ok(Discard)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Discard, Custom> {
        Ok(Discard)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Discard, Custom> {
        Ok(Discard)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Discard, Custom> {
        Ok(Discard)
    }

    fn is_human_readable(&self) -> bool {
        false // as postcard: a type that serialises differently for humans takes the same path
    }
}

/// The compound serializers: each element goes through [`Discard`] in turn.
macro_rules! compound {
    ($($trait:ident { $method:ident $(, $key:ty)? })*) => {
        $(impl ser::$trait for Discard {
            type Ok = ();
            type Error = Custom;

            fn $method<T: Serialize + ?Sized>(&mut self, $(_: $key,)? value: &T) -> Done {
                value.serialize(Discard)
            }

            fn end(self) -> Done {
                Ok(())
            }
        })*
    };
}

compound! {
    SerializeSeq { serialize_element }
    SerializeTuple { serialize_element }
    SerializeTupleStruct { serialize_field }
    SerializeTupleVariant { serialize_field }
    SerializeStruct { serialize_field, &'static str }
    SerializeStructVariant { serialize_field, &'static str }
}

impl ser::SerializeMap for Discard {
    type Ok = ();
    type Error = Custom;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Done {
        key.serialize(Discard)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Done {
        value.serialize(Discard)
    }

    fn end(self) -> Done {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Refuses;

    impl Serialize for Refuses {
        fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(ser::Error::custom("Refuses stays home"))
        }
    }

    #[test]
    fn the_message_is_found_deep_inside_a_value() {
        let nested = (1_u8, vec![Some("a")], [(String::new(), Some(Refuses))]);
        assert_eq!(
            serialize_error_text(&nested).as_deref(),
            Some("Refuses stays home")
        );
        assert_eq!(serialize_error_text(&(1, "fine", vec![2.5])), None);
    }
}
