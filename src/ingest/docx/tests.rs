//! Word documents built here part by part, read as a user's would be.

use std::io::Write;

use super::*;

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" xmlns:v="urn:schemas-microsoft-com:vml""#;

fn package(body: &str, styles: Option<&str>, numbering: Option<&str>) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut parts = vec![(
        "word/document.xml",
        format!(r#"<?xml version="1.0"?><w:document {W}><w:body>{body}</w:body></w:document>"#),
    )];
    if let Some(s) = styles {
        parts.push(("word/styles.xml", format!("<w:styles {W}>{s}</w:styles>")));
    }
    if let Some(n) = numbering {
        parts.push((
            "word/numbering.xml",
            format!("<w:numbering {W}>{n}</w:numbering>"),
        ));
    }
    for (name, xml) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(xml.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn read(body: &str, styles: Option<&str>, numbering: Option<&str>) -> String {
    extract(&package(body, styles, numbering)).unwrap()
}

fn p(props: &str, text: &str) -> String {
    format!(r#"<w:p><w:pPr>{props}</w:pPr><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>"#)
}

fn bold(text: &str) -> String {
    format!(r#"<w:p><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{text}</w:t></w:r></w:p>"#)
}

fn style(id: &str) -> String {
    format!(r#"<w:pStyle w:val="{id}"/>"#)
}

fn num(id: u32, level: u32) -> String {
    format!(r#"<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{id}"/></w:numPr>"#)
}

const PROSE: &str = "Participants will be randomised 1:1 by a central web service.";

/// A multilevel list: 1, 1.1, 1.1.1 (as institutional templates number sections).
const SECTIONS: &str = r#"<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1"/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2"/></w:lvl><w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2.%3"/></w:lvl></w:abstractNum><w:abstractNum w:abstractNumId="2"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl></w:abstractNum><w:num w:numId="3"><w:abstractNumId w:val="1"/></w:num><w:num w:numId="4"><w:abstractNumId w:val="2"/></w:num>"#;

#[test]
fn headings_paragraphs_lists_and_tables_come_through() {
    let body = [
        p(&style("Heading1"), "1 Background"),
        p("", "Falls are common &amp; costly."),
        p(&num(4, 0), "aged 70 or over"),
        r#"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Visit</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Week</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>Baseline</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>0</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#.to_owned(),
        p(&style("Heading2"), "1.1 Objectives"),
    ]
    .concat();
    let text = read(&body, None, Some(SECTIONS));
    assert!(text.contains("# 1 Background\n"), "{text}");
    assert!(text.contains("Falls are common & costly."), "{text}");
    assert!(text.contains("- aged 70 or over\n"), "{text}");
    assert!(
        text.contains("| Visit | Week |\n| Baseline | 0 |"),
        "{text}"
    );
    assert!(text.contains("## 1.1 Objectives"), "{text}");
}

#[test]
fn heading_styles_are_known_by_name_in_any_language_and_by_outline_level() {
    let styles = r#"<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="Überschrift 1"/></w:style>
<w:style w:type="paragraph" w:styleId="Titre2"><w:name w:val="Titre 2"/></w:style>
<w:style w:type="paragraph" w:styleId="Sec"><w:name w:val="Protocol Section"/><w:pPr><w:outlineLvl w:val="2"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="SecNote"><w:name w:val="Section note"/><w:basedOn w:val="Sec"/></w:style>
<w:style w:type="paragraph" w:styleId="Quiet"><w:name w:val="heading 2"/><w:pPr><w:outlineLvl w:val="9"/></w:pPr></w:style>"#;
    let body = [
        p(&style("berschrift1"), "Methoden"),
        p(&style("Titre2"), "Critères d’inclusion"),
        p(&style("Sec"), "Randomisation"),
        p(&style("SecNote"), "Allocation concealment"),
        p(&style("Quiet"), "Not a heading at all"),
        p(
            &format!("{}<w:outlineLvl w:val=\"9\"/>", style("berschrift1")),
            "Body text set apart",
        ),
        p("<w:outlineLvl w:val=\"1\"/>", "Direct outline level"),
        p("", PROSE),
    ]
    .concat();
    let text = read(&body, Some(styles), None);
    for line in [
        "# Methoden\n",
        "## Critères d’inclusion\n",
        "### Randomisation\n",
        "### Allocation concealment\n",
        "## Direct outline level\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert!(text.contains("\nNot a heading at all\n"), "{text}");
    assert!(text.contains("\nBody text set apart\n"), "{text}");
}

#[test]
fn numbered_list_paragraphs_that_head_sections_become_numbered_headings() {
    let body = [
        p(&num(3, 0), "Objectives"),
        p(&num(3, 1), "Primary objective"),
        p("", PROSE),
        p(&num(3, 1), "Secondary objectives"),
        p("", PROSE),
        p(&num(3, 0), "Study design"),
        p(&num(3, 1), "Design considerations"),
        p("", PROSE),
        // A numbered list of criteria under a heading stays a list.
        p(&num(3, 2), "Aged 18 or over"),
        p(&num(3, 2), "Able to consent"),
        p(&num(3, 2), "Not pregnant"),
        p("", PROSE),
    ]
    .concat();
    let text = read(&body, None, Some(SECTIONS));
    for line in [
        "# 1 Objectives\n",
        "## 1.1 Primary objective\n",
        "## 1.2 Secondary objectives\n",
        "# 2 Study design\n",
        "## 2.1 Design considerations\n",
        "- 2.1.1 Aged 18 or over\n",
        "- 2.1.2 Able to consent\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
}

#[test]
fn a_numbered_table_of_contents_stays_a_list_and_the_sections_after_it_are_headings() {
    let mut body = vec![p("", "TABLE OF CONTENTS")];
    for (level, title) in [
        (0, "Objectives"),
        (1, "Primary objective"),
        (0, "Background"),
        (1, "Aplastic anaemia"),
        (0, "Study design"),
        (0, "References"),
    ] {
        body.push(p(&num(3, level), title));
    }
    // The sections themselves: a list restarted (numId 5), then hand-numbered bold ones.
    body.push(p(&num(5, 0), "OBJECTIVES"));
    body.push(bold("1.1 \tPrimary objectives"));
    body.push(p("", "The primary objectives are to:"));
    body.push(p(&num(4, 0), "Establish whether the relapse rate falls."));
    body.push(bold("2. 0\tBACKGROUND AND JUSTIFICATION"));
    body.push(bold("2.1\tAcquired aplastic anemia"));
    body.push(p("", PROSE));
    body.push(bold("3\tStudy Design"));
    body.push(p("", PROSE));
    let numbering = format!(
        r#"{SECTIONS}<w:abstractNum w:abstractNumId="6"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.0"/></w:lvl></w:abstractNum><w:num w:numId="5"><w:abstractNumId w:val="6"/></w:num>"#
    );
    let text = read(&body.concat(), None, Some(&numbering));
    for line in [
        "- 1 Objectives\n",
        "- 1.1 Primary objective\n",
        "- 4 References\n",
        "# 1.0 OBJECTIVES\n",
        "## 1.1 Primary objectives\n",
        "# 2.0 BACKGROUND AND JUSTIFICATION\n",
        "## 2.1 Acquired aplastic anemia\n",
        "# 3 Study Design\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert_eq!(
        text.matches("\n# ").count() + usize::from(text.starts_with("# ")),
        3,
        "{text}"
    );
}

#[test]
fn headings_numbered_through_their_style_get_their_numbers() {
    let styles = r#"<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:pPr><w:numPr><w:numId w:val="3"/></w:numPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="3"/></w:numPr><w:outlineLvl w:val="1"/></w:pPr></w:style>"#;
    let body = [
        p(&style("Heading1"), "Introduction"),
        p("", PROSE),
        p(&style("Heading1"), "Methods"),
        p(&style("Heading2"), "Study design"),
        p("", PROSE),
    ]
    .concat();
    let text = read(&body, Some(styles), Some(SECTIONS));
    assert!(text.contains("# 1 Introduction\n"), "{text}");
    assert!(text.contains("# 2 Methods\n"), "{text}");
    assert!(text.contains("## 2.1 Study design\n"), "{text}");
}

#[test]
fn a_text_box_does_not_split_the_paragraph_around_it() {
    let body = format!(
        r#"<w:p><w:r><w:t xml:space="preserve">Participants attend </w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent><w:p><w:r><w:t>Figure 1: the flow</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>Figure 1: the flow</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t xml:space="preserve">four visits over twelve weeks.</w:t></w:r></w:p>{}"#,
        p("", PROSE)
    );
    let text = read(&body, None, None);
    assert!(
        text.contains("Participants attend four visits over twelve weeks.\n\nFigure 1: the flow\n"),
        "{text}"
    );
    assert_eq!(
        text.matches("Figure 1").count(),
        1,
        "the fallback copy is not read: {text}"
    );
}

#[test]
fn tracked_changes_read_as_accepted() {
    let body = r#"<w:p><w:pPr><w:pPrChange w:id="9"><w:pPr><w:pStyle w:val="Heading1"/></w:pPr></w:pPrChange></w:pPr><w:r><w:t xml:space="preserve">We will enrol </w:t></w:r><w:del w:id="1"><w:r><w:delText>100</w:delText></w:r></w:del><w:ins w:id="2"><w:r><w:t>120</w:t></w:r></w:ins><w:r><w:t xml:space="preserve"> participants in total.</w:t></w:r></w:p>"#;
    let text = read(body, None, None);
    assert_eq!(text, "We will enrol 120 participants in total.\n");
}

#[test]
fn table_cells_stay_apart_even_when_merged_or_nested() {
    let body = r#"<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>Schedule</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Notes</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>Week</w:t></w:r></w:p><w:p><w:r><w:t>0</w:t></w:r></w:p></w:tc><w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>a</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p/></w:tc><w:tc><w:p><w:r><w:t>c|d</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#;
    let text = read(body, None, None);
    assert_eq!(text, "| Schedule |  | Notes |\n| Week / 0 | a; b | c/d |\n");
}

#[test]
fn symbols_from_the_symbol_font_and_tab_stops() {
    let body = r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t xml:space="preserve">IFN-</w:t></w:r><w:r><w:sym w:font="Symbol" w:char="F067"/></w:r><w:r><w:t xml:space="preserve"> in patients </w:t></w:r><w:r><w:sym w:font="Symbol" w:char="F0B3"/></w:r><w:r><w:t xml:space="preserve"> 2 years</w:t></w:r></w:p>"#;
    assert_eq!(read(body, None, None), "IFN-γ in patients ≥ 2 years\n");
}

#[test]
fn broken_input_is_an_error() {
    assert_eq!(extract(b"PK\x03\x04 not really"), Err(DocxError::NotZip));
    // A damaged styles part costs the structure, not the text.
    let bytes = package(&p("", PROSE), Some("<w:style"), Some("<<<"));
    assert!(extract(&bytes).unwrap().contains("randomised"));
}
