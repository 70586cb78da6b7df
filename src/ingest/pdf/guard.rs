//! Limits on what a PDF may cost to read, checked before any page is:
//! every stream's decoded size is measured as the file is loaded (before
//! the parser unpacks object streams), with a bounded decoder per filter,
//! so a small file that inflates to gigabytes is refused after reading at
//! most the limit; the page count and the content the pages make the
//! reader decode (pages sharing one content stream decode it once each)
//! are bounded too, so no file makes the reading quadratic.
//!
//! Object streams are bounded apart (`MAX_OBJECT_STREAMS`): the loader
//! keeps each one it unpacks, whole, for as long as the document lives.
//! An encrypted file is loaded without the filter (the loader decrypts
//! first, then unpacks its object streams unbounded), so before it is
//! loaded for real it is loaded once with its /Encrypt entry masked,
//! which keeps its object streams packed, and each is decrypted and
//! measured here.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::Read;

use pdf_extract::encryption::decrypt_object;
use pdf_extract::xref::XrefEntry;
use pdf_extract::{Document, EncryptionState, LoadOptions, Object, ObjectId, Stream};

/// Most bytes one stream may decode to.
pub const MAX_STREAM: u64 = 64 << 20;
/// Most bytes all streams together may decode to.
pub const MAX_TOTAL: u64 = 512 << 20;
/// Most bytes all object streams together may decode to: they hold only
/// the file's small objects (dictionaries, arrays, numbers), a few MiB in
/// the largest real files.
pub const MAX_OBJECT_STREAMS: u64 = 64 << 20;
/// Most pages read.
pub const MAX_PAGES: usize = 5_000;
/// Most bytes of page content decoded over all pages (a content stream
/// shared by many pages counts once per page).
pub const MAX_PAGE_CONTENT: u64 = 512 << 20;
/// Most bytes of content one page may make the reader decode, forms it
/// draws included (images are not read): a page of dense print is some
/// 100 KiB, a detailed chart a few MiB. The reader holds them decoded at
/// up to some eighty times their size.
pub const MAX_ONE_PAGE: u64 = 8 << 20;

#[derive(Debug, PartialEq)]
pub enum Over {
    Stream,
    Total,
    ObjectStreams,
}

#[derive(Default)]
struct Measure {
    total: u64,
    /// Of which object streams.
    objects: u64,
    over: Option<Over>,
    sizes: HashMap<ObjectId, u64>,
}

thread_local! {
    /// The measure of the load running on this thread (the loader takes a
    /// plain function, so its state lives here for the load's duration).
    static MEASURE: RefCell<Measure> = RefCell::new(Measure::default());
}

/// A loaded document and each stream's decoded size.
pub type Loaded = (Document, HashMap<ObjectId, u64>);

/// Load `bytes`, measuring every stream; Err(Over) if a limit is passed.
/// The inner result is the parser's own.
pub fn load(bytes: &[u8]) -> Result<Result<Loaded, pdf_extract::Error>, Over> {
    if let Some(masked) = mask_encrypt(bytes) {
        encrypted_object_streams(&masked)?;
    }
    let (loaded, measure) = load_measured(bytes);
    if let Some(over) = measure.over {
        return Err(over);
    }
    let Ok(doc) = loaded else {
        return Ok(loaded.map(|d| (d, HashMap::new())));
    };
    // Objects the filter did not see (an encrypted file's) are measured now.
    let mut sizes = measure.sizes;
    let mut total = measure.total;
    for (id, object) in &doc.objects {
        if sizes.contains_key(id) {
            continue;
        }
        if let Object::Stream(stream) = object {
            let size = decoded_size(stream).map_err(|_| Over::Stream)?;
            total += size;
            if total > MAX_TOTAL {
                return Err(Over::Total);
            }
            sizes.insert(*id, size);
        }
    }
    Ok(Ok((doc, sizes)))
}

/// The loader's result, with every stream it let the filter see measured.
fn load_measured(bytes: &[u8]) -> (Result<Document, pdf_extract::Error>, Measure) {
    MEASURE.with(|m| *m.borrow_mut() = Measure::default());
    let options = LoadOptions {
        filter: Some(measure_object),
        ..LoadOptions::default()
    };
    let loaded = Document::load_mem_with_options(bytes, options);
    let measure = MEASURE.with(|m| std::mem::take(&mut *m.borrow_mut()));
    (loaded, measure)
}

/// What the loader reads as a name: `/` then regular characters, `#xx`
/// standing for a byte. Returns the name and where it ends.
fn name_at(bytes: &[u8], slash: usize) -> (Vec<u8>, usize) {
    let regular = |c: u8| !b" \t\n\r\0\x0c()<>[]{}/%#".contains(&c);
    let hex = |c: u8| (c as char).to_digit(16);
    let mut name = Vec::new();
    let mut at = slash + 1;
    loop {
        match bytes.get(at..) {
            Some([b'#', h, l, ..]) if hex(*h).is_some() && hex(*l).is_some() => {
                let byte = hex(*h).unwrap_or(0) * 16 + hex(*l).unwrap_or(0);
                name.push(byte as u8);
                at += 3;
            }
            Some([c, ..]) if regular(*c) => {
                name.push(*c);
                at += 1;
            }
            _ => return (name, at),
        }
    }
}

/// The file with every name the loader would read as `/Encrypt` (however
/// spelt) overwritten by as many `X`s, if it has any.
fn mask_encrypt(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut masked: Option<Vec<u8>> = None;
    let mut from = 0;
    while let Some(slash) = bytes[from..].iter().position(|&b| b == b'/') {
        let slash = from + slash;
        let (name, end) = name_at(bytes, slash);
        if name == b"Encrypt" {
            masked.get_or_insert_with(|| bytes.to_vec())[slash + 1..end].fill(b'X');
        }
        from = end;
    }
    masked
}

/// For a file `mask_encrypt` masked: loaded with its encryption hidden
/// and its object streams kept packed, each object stream the real load
/// would unpack is decrypted here and measured, bounded.
fn encrypted_object_streams(masked: &[u8]) -> Result<(), Over> {
    let options = LoadOptions {
        filter: Some(keep_packed),
        ..LoadOptions::default()
    };
    let loaded = Document::load_mem_with_options(masked, options);
    // A file the loader cannot read, or cannot decrypt without a password,
    // never has its object streams unpacked.
    let Ok(mut doc) = loaded else { return Ok(()) };
    let masked_key = |key: &[u8]| key.len() >= 7 && key.iter().all(|&b| b == b'X');
    let Some(encrypt) = doc
        .trailer
        .iter()
        .find(|(key, value)| masked_key(key) && value.as_reference().is_ok())
        .map(|(_, value)| value.clone())
    else {
        return Ok(());
    };
    doc.trailer.set("Encrypt", encrypt);
    let Ok(state) = EncryptionState::decode(&doc, "") else {
        return Ok(());
    };
    let containers: HashSet<u32> = doc
        .reference_table
        .entries
        .values()
        .filter_map(|entry| match entry {
            XrefEntry::Compressed { container, .. } => Some(*container),
            _ => None,
        })
        .collect();
    let mut total = 0u64;
    for container in containers {
        let id = (container, 0);
        let Some(Object::Stream(stream)) = doc.objects.get(&id) else {
            continue;
        };
        let mut object = Object::Stream(stream.clone());
        // The loader goes on with a stream it cannot decrypt, as it is.
        let _ = decrypt_object(&state, id, &mut object);
        let Object::Stream(stream) = object else {
            continue;
        };
        total += decoded_size(&stream).map_err(|_| Over::Stream)?;
        if total > MAX_OBJECT_STREAMS {
            return Err(Over::ObjectStreams);
        }
    }
    Ok(())
}

/// A filter that keeps the loader from unpacking object streams (it
/// would unpack, and keep, their ciphertext); object streams are found
/// again through the cross-reference table.
fn keep_packed(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(stream) = object
        && stream.dict.has_type(b"ObjStm")
    {
        stream.dict.set("Type", Object::Name(b"Packed".to_vec()));
    }
    // The loader keeps its own object; what this returns would only
    // replace objects unpacked from object streams, and there are none.
    Some((id, Object::Null))
}

fn measure_object(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(stream) = object {
        let over = MEASURE.with(|m| m.borrow().over.is_some());
        let size = if over { Err(()) } else { decoded_size(stream) };
        let packed = stream.dict.has_type(b"ObjStm");
        MEASURE.with(|m| {
            let mut m = m.borrow_mut();
            match size {
                Ok(size) => {
                    m.total += size;
                    m.sizes.insert(id, size);
                    if packed {
                        m.objects += size;
                    }
                    let over = if m.objects > MAX_OBJECT_STREAMS {
                        Some(Over::ObjectStreams)
                    } else if m.total > MAX_TOTAL {
                        Some(Over::Total)
                    } else {
                        None
                    };
                    if m.over.is_none() {
                        m.over = over;
                    }
                }
                Err(()) => {
                    if m.over.is_none() {
                        m.over = Some(Over::Stream);
                    }
                }
            }
        });
        if MEASURE.with(|m| m.borrow().over.is_some()) {
            // Keep the loader from unpacking it (an object stream would be).
            stream.set_content(Vec::new());
            stream.dict.remove(b"Filter");
        }
        // The loader keeps its own object and uses what this returns only
        // for objects inside object streams, which are never streams: no
        // need to copy the data.
        return Some((id, Object::Null));
    }
    Some((id, object.clone()))
}

/// What the stream decodes to through its filters, at most MAX_STREAM
/// bytes; Err when it would be more. A filter the reader does not decode
/// leaves the data as it is.
pub fn decoded_size(stream: &Stream) -> Result<u64, ()> {
    let Ok(filters) = stream.filters() else {
        return Ok(stream.content.len() as u64);
    };
    let mut data: Option<Vec<u8>> = None;
    for filter in filters {
        let input = data.as_deref().unwrap_or(&stream.content);
        let output = match filter {
            b"FlateDecode" | b"Fl" => inflate(input)?,
            b"LZWDecode" | b"LZW" => lzw(input)?,
            b"ASCII85Decode" | b"A85" => {
                // At most four bytes per input byte ('z'): bounded by the file.
                let n = input.len() as u64 * 4;
                if n > MAX_STREAM {
                    return Err(());
                }
                return Ok(n);
            }
            _ => break,
        };
        data = Some(output);
    }
    Ok(data.map_or(stream.content.len(), |d| d.len()) as u64)
}

fn bounded(reader: impl Read) -> Result<Vec<u8>, ()> {
    let mut out = Vec::new();
    // A read error ends the data where the parser's own decoder would.
    let _ = reader.take(MAX_STREAM + 1).read_to_end(&mut out);
    if out.len() as u64 > MAX_STREAM {
        return Err(());
    }
    Ok(out)
}

fn inflate(input: &[u8]) -> Result<Vec<u8>, ()> {
    let out = bounded(flate2::read::ZlibDecoder::new(input))?;
    // The parser retries a stream with a broken header as raw deflate.
    if out.is_empty() && input.len() > 2 {
        return bounded(flate2::read::DeflateDecoder::new(&input[2..]));
    }
    Ok(out)
}

fn lzw(input: &[u8]) -> Result<Vec<u8>, ()> {
    let mut decoder = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
    let mut out = Vec::new();
    let mut buffer = vec![0u8; 64 << 10];
    let mut rest = input;
    loop {
        let result = decoder.decode_bytes(rest, &mut buffer);
        out.extend_from_slice(&buffer[..result.consumed_out]);
        if out.len() as u64 > MAX_STREAM {
            return Err(());
        }
        rest = &rest[result.consumed_in..];
        match result.status {
            Ok(weezl::LzwStatus::Ok) if result.consumed_in + result.consumed_out > 0 => {}
            _ => return Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn stream(filter: &str, content: Vec<u8>) -> Stream {
        let mut dict = pdf_extract::Dictionary::new();
        dict.set("Filter", Object::Name(filter.as_bytes().to_vec()));
        Stream::new(dict, content)
    }

    #[test]
    fn a_stream_is_measured_without_decoding_past_the_limit() {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![0u8; 1 << 20]).unwrap();
        let small = z.finish().unwrap();
        assert_eq!(decoded_size(&stream("FlateDecode", small)), Ok(1 << 20));
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..(MAX_STREAM >> 20) + 1 {
            z.write_all(&vec![0u8; 1 << 20]).unwrap();
        }
        assert_eq!(
            decoded_size(&stream("FlateDecode", z.finish().unwrap())),
            Err(())
        );
    }

    #[test]
    fn every_spelling_of_the_encrypt_name_is_masked() {
        let file = b"<< /Encrypt 8 0 R /Encr#79pt 9 0 R /EncryptMetadata true /Encrypt#20 1 >>";
        let masked = mask_encrypt(file).expect("masked");
        assert_eq!(
            masked,
            b"<< /XXXXXXX 8 0 R /XXXXXXXXX 9 0 R /EncryptMetadata true /Encrypt#20 1 >>"
        );
        assert_eq!(mask_encrypt(b"<< /Root 1 0 R >>"), None);
    }

    #[test]
    fn lzw_is_measured_too() {
        let data = vec![b'a'; 100_000];
        let packed = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(&data)
            .unwrap();
        assert_eq!(decoded_size(&stream("LZWDecode", packed)), Ok(100_000));
    }
}
