//! Limits on what a PDF may cost to read, checked before any page is:
//! every stream's decoded size is measured as the file is loaded (before
//! the parser unpacks object streams), with a bounded decoder per filter,
//! so a small file that inflates to gigabytes is refused after reading at
//! most the limit; the page count and the content the pages make the
//! reader decode (pages sharing one content stream decode it once each)
//! are bounded too, so no file makes the reading quadratic.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read;

use pdf_extract::{Document, LoadOptions, Object, ObjectId, Stream};

/// Most bytes one stream may decode to.
pub const MAX_STREAM: u64 = 64 << 20;
/// Most bytes all streams together may decode to.
pub const MAX_TOTAL: u64 = 512 << 20;
/// Most pages read.
pub const MAX_PAGES: usize = 5_000;
/// Most bytes of page content decoded over all pages (a content stream
/// shared by many pages counts once per page).
pub const MAX_PAGE_CONTENT: u64 = 512 << 20;

#[derive(Debug, PartialEq)]
pub enum Over {
    Stream,
    Total,
}

#[derive(Default)]
struct Measure {
    total: u64,
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
    MEASURE.with(|m| *m.borrow_mut() = Measure::default());
    let options = LoadOptions {
        filter: Some(measure_object),
        ..LoadOptions::default()
    };
    let loaded = Document::load_mem_with_options(bytes, options);
    let measure = MEASURE.with(|m| std::mem::take(&mut *m.borrow_mut()));
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

fn measure_object(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(stream) = object {
        let over = MEASURE.with(|m| m.borrow().over.is_some());
        let size = if over { Err(()) } else { decoded_size(stream) };
        MEASURE.with(|m| {
            let mut m = m.borrow_mut();
            match size {
                Ok(size) => {
                    m.total += size;
                    m.sizes.insert(id, size);
                    if m.total > MAX_TOTAL && m.over.is_none() {
                        m.over = Some(Over::Total);
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
    fn lzw_is_measured_too() {
        let data = vec![b'a'; 100_000];
        let packed = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(&data)
            .unwrap();
        assert_eq!(decoded_size(&stream("LZWDecode", packed)), Ok(100_000));
    }
}
