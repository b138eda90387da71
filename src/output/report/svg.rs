//! A small SVG writer for the report's two kinds of chart. Hand-written
//! rather than `plotters`: horizontal bars and a few polylines need ~100
//! lines, the output is deterministic to the byte, and no font stack or
//! build time comes with it.

use std::fmt::Write as _;

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

pub fn percent(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
}

pub struct Bar<'a> {
    pub label: &'a str,
    pub value: f64,
    pub color: &'static str,
    pub note: String,
}

/// Horizontal bars on a 0–100 % axis, one per row, with a dashed reference
/// line (the provincial value). Each bar's value and note stand in a column
/// of their own to the right of the axis, so that a bar of 100 % never
/// pushes its note off the chart.
pub fn bar_chart(id: &str, title: &str, bars: &[Bar], reference: Option<(f64, &str)>) -> String {
    const LABEL_W: f64 = 170.0;
    const PLOT_W: f64 = 300.0;
    const NOTE_W: f64 = 330.0;
    const ROW_H: f64 = 16.0;
    const TOP: f64 = 24.0;
    let height = TOP + ROW_H * bars.len() as f64 + 24.0;
    let width = LABEL_W + PLOT_W + NOTE_W;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" data-chart="{id}" role="img" aria-label="{}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-size="11">"#,
        escape(title)
    );
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let x = LABEL_W + PLOT_W * t;
        let _ = write!(
            s,
            r##"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#ddd"/><text x="{x}" y="{}" text-anchor="middle" fill="#666">{}%</text>"##,
            TOP - 4.0,
            height - 20.0,
            height - 8.0,
            (t * 100.0) as u32
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let w = (PLOT_W * b.value.clamp(0.0, 1.0)).max(0.5);
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end">{}</text><rect class="bar" x="{LABEL_W}" y="{}" width="{w:.1}" height="{}" fill="{}"><title>{} {}</title></rect><text class="note" x="{}" y="{}" fill="#333">{} {}</text>"##,
            LABEL_W - 6.0,
            y + 11.5,
            escape(b.label),
            y + 2.0,
            ROW_H - 4.0,
            b.color,
            escape(b.label),
            percent(b.value),
            LABEL_W + PLOT_W + 8.0,
            y + 11.5,
            percent(b.value),
            escape(&b.note)
        );
    }
    if let Some((v, label)) = reference {
        let x = LABEL_W + PLOT_W * v.clamp(0.0, 1.0);
        let _ = write!(
            s,
            r##"<line class="reference" x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#c62828" stroke-dasharray="4 3" stroke-width="1.5"/><text x="{x:.1}" y="{}" fill="#c62828" text-anchor="middle">{} {}</text>"##,
            TOP - 6.0,
            height - 22.0,
            TOP - 10.0,
            escape(label),
            percent(v)
        );
    }
    s.push_str("</svg>");
    s
}

pub struct Series<'a> {
    pub name: &'a str,
    pub color: &'static str,
    pub values: Vec<Option<f64>>,
}

/// A small line chart of rates (0–100 %) over months; gaps where a month has
/// no closed case.
pub fn line_chart(id: &str, title: &str, months: &[String], series: &[Series]) -> String {
    let (w, h, left, top, bottom) = (300.0, 150.0, 34.0, 22.0, 22.0);
    let plot_w = w - left - 8.0;
    let plot_h = h - top - bottom;
    let n = months.len().max(1);
    let x = |i: usize| left + if n == 1 { plot_w / 2.0 } else { plot_w * i as f64 / (n - 1) as f64 };
    let y = |v: f64| top + plot_h * (1.0 - v.clamp(0.0, 1.0));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" data-chart="{id}" role="img" aria-label="{}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-size="10">"#,
        escape(title)
    );
    let _ = write!(s, r#"<text x="{left}" y="12" font-weight="bold">{}</text>"#, escape(title));
    for t in [0.0, 0.5, 1.0] {
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end" fill="#666">{}%</text>"##,
            y(t),
            w - 8.0,
            y(t),
            left - 3.0,
            y(t) + 3.0,
            (t * 100.0) as u32
        );
    }
    if let (Some(first), Some(last)) = (months.first(), months.last()) {
        let _ = write!(
            s,
            r##"<text x="{left}" y="{}" fill="#666">{}</text><text x="{}" y="{}" text-anchor="end" fill="#666">{}</text>"##,
            h - 6.0,
            escape(first),
            w - 8.0,
            h - 6.0,
            escape(last)
        );
    }
    for se in series {
        let mut run: Vec<String> = Vec::new();
        let flush = |s: &mut String, run: &mut Vec<String>| {
            if run.len() > 1 {
                let _ = write!(s, r#"<polyline class="line" fill="none" stroke="{}" stroke-width="1.6" points="{}"/>"#, se.color, run.join(" "));
            }
            run.clear();
        };
        for (i, v) in se.values.iter().enumerate() {
            match v {
                Some(v) => {
                    run.push(format!("{:.1},{:.1}", x(i), y(*v)));
                    let _ = write!(
                        s,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="1.8" fill="{}"><title>{} {} {}</title></circle>"#,
                        x(i),
                        y(*v),
                        se.color,
                        escape(se.name),
                        escape(&months[i]),
                        percent(*v)
                    );
                }
                None => flush(&mut s, &mut run),
            }
        }
        flush(&mut s, &mut run);
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_and_escaped() {
        let svg = bar_chart("t", "a<b", &[Bar { label: "x&y", value: 0.5, color: "#000", note: String::new() }], Some((0.25, "全省")));
        assert!(svg.contains(r#"width="150.0""#), "{svg}");
        assert!(svg.contains("x&amp;y") && svg.contains("a&lt;b") && svg.contains("全省 25.00%"));
        assert_eq!(svg.matches("class=\"bar\"").count(), 1);
    }

    #[test]
    fn a_full_bar_leaves_its_note_inside_the_chart() {
        let note = "120/120 第1名 优秀".to_string();
        let svg = bar_chart("t", "t", &[Bar { label: "x", value: 1.0, color: "#000", note }], None);
        let width: f64 = svg.split("viewBox=\"0 0 ").nth(1).and_then(|r| r.split(' ').next()).unwrap().parse().unwrap();
        let x: f64 = svg.split("class=\"note\" x=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().parse().unwrap();
        // about 7 px a character at font size 11 (CJK 11 px)
        let text_width = 7.0 * "100.00% 120/120 第1名 优秀 再增99件升良好 少99件降一般".chars().count() as f64;
        assert!(x + text_width <= width, "note from {x} needs {text_width} of {width}");
    }

    #[test]
    fn lines_break_at_months_without_data() {
        let months: Vec<String> = (1..=4).map(|m| format!("2023-0{m}")).collect();
        let svg = line_chart("l", "t", &months, &[Series { name: "s", color: "#000", values: vec![Some(0.1), Some(0.2), None, Some(0.4)] }]);
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 3);
    }
}
