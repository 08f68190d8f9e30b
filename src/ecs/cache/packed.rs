//! A task definition packed for the cache: its compact JSON, deflated with
//! a preset dictionary of task-definition vocabulary (field names in the
//! order they serialize, ECS's usual values). The shop example's definition,
//! 831 bytes of JSON, packs to 140; without the dictionary, deflate halves a
//! definition at best.

use crate::taskdef::model::TaskDefinitionSpec;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use std::sync::LazyLock;

/// Deflate's window: the dictionary and a definition fit in it.
const WINDOW_BITS: u8 = 15;

/// The dictionary: a typical definition, serialized as the cache serializes
/// one (so its keys come in the same order).
static DICTIONARY: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let sample: TaskDefinitionSpec = serde_json::from_str(include_str!("dictionary.json"))
        .expect("the cache's dictionary is a task definition");
    serde_json::to_vec(&sample).expect("a task definition serializes")
});

/// One definition, packed.
pub struct Packed {
    /// The length of the JSON, to unpack into one allocation.
    json_len: u32,
    bytes: Box<[u8]>,
}

impl Packed {
    /// Pack `spec` (`None` only if deflate fails, which it does not on
    /// valid input).
    pub fn new(spec: &TaskDefinitionSpec) -> Option<Packed> {
        let json = serde_json::to_vec(spec).ok()?;
        let json_len = u32::try_from(json.len()).ok()?;
        let mut deflate = Compress::new_with_window_bits(Compression::best(), false, WINDOW_BITS);
        deflate.set_dictionary(&DICTIONARY).ok()?;
        let mut out = Vec::with_capacity(json.len() / 2 + 64);
        loop {
            let consumed = usize::try_from(deflate.total_in()).ok()?;
            match deflate
                .compress_vec(&json[consumed..], &mut out, FlushCompress::Finish)
                .ok()?
            {
                Status::StreamEnd => break,
                Status::Ok | Status::BufError => out.reserve(256),
            }
        }
        Some(Packed {
            json_len,
            bytes: out.into_boxed_slice(),
        })
    }

    /// The definition back (`None` if the bytes do not unpack).
    pub fn unpack(&self) -> Option<TaskDefinitionSpec> {
        let mut inflate = Decompress::new_with_window_bits(false, WINDOW_BITS);
        inflate.set_dictionary(&DICTIONARY).ok()?;
        let mut json = Vec::with_capacity(self.json_len as usize);
        match inflate
            .decompress_vec(&self.bytes, &mut json, FlushDecompress::Finish)
            .ok()?
        {
            Status::StreamEnd => serde_json::from_slice(&json).ok(),
            Status::Ok | Status::BufError => None,
        }
    }

    /// Bytes held.
    #[cfg(test)]
    pub fn size(&self) -> usize {
        self.bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop(name: &str) -> TaskDefinitionSpec {
        let path = format!(
            "{}/examples/shop/task-definitions/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("the shop example's task definition");
        serde_json::from_str(&text).expect("the shop example's task definition parses")
    }

    #[test]
    fn a_definition_unpacks_to_itself_from_under_a_quarter_of_its_json() {
        let td = shop("app.json");
        let json = serde_json::to_vec(&td).unwrap().len();
        let packed = Packed::new(&td).unwrap();
        assert_eq!(packed.unpack().unwrap(), td);
        assert!(
            packed.size() * 4 < json,
            "{} bytes packed from {json}",
            packed.size()
        );
    }

    #[test]
    fn the_dictionary_is_a_definition_and_anything_unusual_still_round_trips() {
        assert!(DICTIONARY.len() > 1000);
        let mut td = shop("app.json");
        td.family = Some("ü-not-in-any-dictionary-".repeat(200));
        let packed = Packed::new(&td).unwrap();
        assert_eq!(packed.unpack().unwrap(), td);
    }

    #[test]
    fn damaged_bytes_unpack_to_nothing() {
        let mut packed = Packed::new(&shop("app.json")).unwrap();
        packed.bytes = packed.bytes[..packed.bytes.len() / 2].into();
        assert!(packed.unpack().is_none());
    }
}
