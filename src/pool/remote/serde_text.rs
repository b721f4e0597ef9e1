//! Recovering the text of a serde impl's error, which postcard drops.
//!
//! postcard turns `Error::custom("why")` into a bare "Serde Serialization Error" (or
//! "Deserialization"). Only on that failure path, the value goes through serde once more:
//!
//! - to serialise, into [`Discard`], a serializer that writes nothing and whose error type
//!   keeps the message;
//! - to deserialise, through [`Capturing`], which wraps postcard's deserializer so that the
//!   type's `Deserialize` impl and visitors see an error type that keeps the message.
//!
//! The happy path pays nothing.

use std::cell::RefCell;
use std::fmt::{self, Display};

use serde::Serialize;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, Visitor};
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

/// The message `T`'s `Deserialize` impl fails with on `bytes`, if it is a message of its own
/// (postcard's errors about the bytes themselves are already worded).
pub(crate) fn deserialize_error_text<T: DeserializeOwned>(bytes: &[u8]) -> Option<String> {
    FIRST_MESSAGE.with(|m| m.borrow_mut().take());
    let mut postcard = postcard::Deserializer::from_bytes(bytes);
    let failed = T::deserialize(Capturing(&mut postcard)).is_err();
    let message = FIRST_MESSAGE.with(|m| m.borrow_mut().take());
    failed.then_some(message).flatten()
}

thread_local! {
    /// The first message a `Deserialize` impl gave [`Captured::custom`] in this pass.
    static FIRST_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The error type the wrapped deserializer shows the type being decoded.
#[derive(Debug)]
struct Captured(String);

impl Display for Captured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Captured {}

impl de::Error for Captured {
    fn custom<T: Display>(message: T) -> Self {
        let message = message.to_string();
        FIRST_MESSAGE.with(|m| {
            m.borrow_mut().get_or_insert_with(|| message.clone());
        });
        Captured(message)
    }
}

/// Hands an error out of the wrapping, to the deserializer's own error type.
fn pass<E: de::Error>(error: impl Display) -> E {
    E::custom(error)
}

/// Takes the wrapped deserializer's own error in, without counting it as the impl's message:
/// postcard's words about the bytes ("Hit the end of buffer") are not what we look for.
fn inner(error: impl Display) -> Captured {
    Captured(error.to_string())
}

/// A deserializer that forwards to `D`, wrapping every visitor, seed and access on the way.
struct Capturing<D>(D);

macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Captured> {
            self.0.$method($($arg,)* Wrap(visitor)).map_err(inner)
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Capturing<D> {
    type Error = Captured;

    forward_deserialize! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// A visitor that shows the wrapped one [`Captured`] errors and wrapped accesses.
struct Wrap<V>(V);

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
            self.0.$method::<Captured>(value).map_err(pass)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none::<Captured>().map_err(pass)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit::<Captured>().map_err(pass)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Capturing(d)).map_err(pass)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Capturing(d)).map_err(pass)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Capturing(seq)).map_err(pass)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Capturing(map)).map_err(pass)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(Capturing(data)).map_err(pass)
    }
}

/// A seed that decodes through a wrapped deserializer.
struct Seed<T>(T);

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T::Value, D::Error> {
        self.0.deserialize(Capturing(d)).map_err(pass)
    }
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Capturing<A> {
    type Error = Captured;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Captured> {
        self.0.next_element_seed(Seed(seed)).map_err(inner)
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Capturing<A> {
    type Error = Captured;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Captured> {
        self.0.next_key_seed(Seed(seed)).map_err(inner)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Captured> {
        self.0.next_value_seed(Seed(seed)).map_err(inner)
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::EnumAccess<'de>> de::EnumAccess<'de> for Capturing<A> {
    type Error = Captured;
    type Variant = Capturing<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), Captured> {
        let (value, variant) = self.0.variant_seed(Seed(seed)).map_err(inner)?;
        Ok((value, Capturing(variant)))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Capturing<A> {
    type Error = Captured;

    fn unit_variant(self) -> Result<(), Captured> {
        self.0.unit_variant().map_err(inner)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Captured> {
        self.0.newtype_variant_seed(Seed(seed)).map_err(inner)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Captured> {
        self.0.tuple_variant(len, Wrap(visitor)).map_err(inner)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Captured> {
        self.0.struct_variant(fields, Wrap(visitor)).map_err(inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Decodes from a `u8`, refusing odd ones with a message of its own.
    #[derive(Debug)]
    struct Even(u8);

    impl<'de> Deserialize<'de> for Even {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let n = u8::deserialize(d)?;
            if n % 2 == 0 {
                Ok(Even(n))
            } else {
                Err(de::Error::custom(format!("{n} is odd")))
            }
        }
    }

    #[derive(Debug, Serialize, Deserialize)]
    enum Shape {
        Pair(u8, u8),
        Tagged { label: String, value: u8 },
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)] // decoded to see the error, never read
    enum Deep {
        Pair(Even, Even),
        Tagged { label: String, value: Even },
    }

    #[test]
    fn a_deserialize_message_is_found_deep_inside_a_value() {
        let bytes = postcard::to_stdvec(&(1_u8, vec![Some(4_u8), Some(7)])).unwrap();
        assert!(postcard::from_bytes::<(u8, Vec<Option<Even>>)>(&bytes).is_err());
        assert_eq!(
            deserialize_error_text::<(u8, Vec<Option<Even>>)>(&bytes).as_deref(),
            Some("7 is odd")
        );
        let tagged = Shape::Tagged {
            label: "x".into(),
            value: 9,
        };
        let bytes = postcard::to_stdvec(&vec![Shape::Pair(2, 4), tagged]).unwrap();
        assert_eq!(
            deserialize_error_text::<Vec<Deep>>(&bytes).as_deref(),
            Some("9 is odd")
        );
        let fine = postcard::to_stdvec(&(2_u8,)).unwrap();
        assert_eq!(deserialize_error_text::<(Even,)>(&fine), None);
        assert_eq!(postcard::from_bytes::<(Even,)>(&fine).unwrap().0.0, 2);
        // postcard's own complaint about the bytes is not a message of the type's.
        assert_eq!(deserialize_error_text::<(u8, u8)>(&[1]), None);
    }

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
