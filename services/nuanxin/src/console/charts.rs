//! Bar charts as server-rendered SVG: a title, a value axis with its unit, full category names (a street
//! is never cut to four characters) and a legend. Drawn here rather than by a script library so a chart
//! needs no JavaScript, obeys the console's Content-Security-Policy, prints, and is checked by tests like
//! any other markup. Pure: data in, markup out; every text is escaped here.

use std::fmt::Write;

/// Fills of the series, in order (colour-blind-safe, from the Okabe–Ito palette).
const PALETTE: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
];

/// A horizontal stacked bar chart: one bar per category, one segment per series.
#[derive(Debug, Clone)]
pub struct BarChart {
    pub title: String,
    /// What the values count, e.g. "户数" or "金额（元）".
    pub unit: String,
    /// The names of the series (at most [`PALETTE`]'s length are coloured apart).
    pub series: Vec<String>,
    /// Category name and one value per series (missing values count 0, negatives are drawn as 0).
    pub bars: Vec<(String, Vec<i64>)>,
}

const WIDTH: i64 = 720;
const ROW: i64 = 30;
const BAR: i64 = 20;
const CHAR: i64 = 15;
const TOP: i64 = 64;
const BOTTOM: i64 = 56;
/// Most ticks on the value axis (besides zero).
const MAX_TICKS: i64 = 6;

/// The tick step for an axis from 0 to `max`: 1, 2 or 5 times a power of ten, with at most
/// [`MAX_TICKS`] steps covering `max`.
pub fn tick_step(max: i64) -> i64 {
    let max = max.max(1);
    let mut power = 1i64;
    loop {
        for m in [1, 2, 5] {
            let step = power.saturating_mul(m);
            if step.saturating_mul(MAX_TICKS) >= max {
                return step;
            }
        }
        power = power.saturating_mul(10);
    }
}

/// Text for XML: `&`, `<`, `>`, quotes escaped; control characters dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Display width of a label in pixels (CJK characters are twice as wide as Latin ones).
fn text_width(text: &str) -> i64 {
    text.chars()
        .map(|c| if c.is_ascii() { CHAR / 2 + 1 } else { CHAR })
        .sum()
}

impl BarChart {
    /// The sum of each bar.
    fn totals(&self) -> Vec<i64> {
        self.bars
            .iter()
            .map(|(_, values)| values.iter().map(|v| (*v).max(0)).sum())
            .collect()
    }

    /// The chart as an `<svg>` element that scales to its container's width.
    pub fn to_svg(&self) -> String {
        let totals = self.totals();
        let max = totals.iter().copied().max().unwrap_or(0);
        let step = tick_step(max);
        let axis_max = step * ((max + step - 1) / step).max(1);
        let label_width = self
            .bars
            .iter()
            .map(|(name, _)| text_width(name))
            .max()
            .unwrap_or(0)
            .clamp(CHAR * 2, WIDTH / 3)
            + 12;
        let left = label_width;
        let plot = WIDTH - left - 56;
        let rows = i64::try_from(self.bars.len()).unwrap_or(i64::MAX).max(1);
        let height = TOP + rows * ROW + BOTTOM;
        let x = |v: i64| left + v.max(0) * plot / axis_max;
        let mut s = String::new();
        let title = escape(&self.title);
        let _ = write!(
            s,
            r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{title}" xmlns="http://www.w3.org/2000/svg" font-size="14" font-family="sans-serif"><title>{title}</title>"#
        );
        let _ = write!(
            s,
            r##"<text x="0" y="20" font-size="17" font-weight="bold" fill="#222">{title}</text>"##
        );
        let mut legend_x = 0;
        for (i, name) in self.series.iter().enumerate() {
            let fill = PALETTE[i % PALETTE.len()];
            let name = escape(name);
            let _ = write!(
                s,
                r##"<rect x="{legend_x}" y="32" width="12" height="12" fill="{fill}"/><text x="{}" y="43" fill="#333">{name}</text>"##,
                legend_x + 16
            );
            legend_x += 16 + text_width(&self.series[i]) + 20;
        }
        let bottom = TOP + rows * ROW;
        let mut tick = 0;
        while tick <= axis_max {
            let tx = x(tick);
            let _ = write!(
                s,
                r##"<line x1="{tx}" y1="{}" x2="{tx}" y2="{bottom}" stroke="#ddd"/><text x="{tx}" y="{}" text-anchor="middle" fill="#555">{tick}</text>"##,
                TOP - 6,
                bottom + 18
            );
            tick += step;
        }
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{bottom}" x2="{}" y2="{bottom}" stroke="#888"/><text x="{}" y="{}" text-anchor="middle" fill="#333">{}</text>"##,
            left + plot,
            left + plot / 2,
            bottom + 42,
            escape(&self.unit)
        );
        for (row, ((name, values), total)) in self.bars.iter().zip(&totals).enumerate() {
            let y = TOP + i64::try_from(row).unwrap_or(0) * ROW + (ROW - BAR) / 2;
            let _ = write!(
                s,
                r##"<text x="{}" y="{}" text-anchor="end" fill="#222">{}</text>"##,
                left - 8,
                y + BAR - 5,
                escape(name)
            );
            let mut at = 0;
            for (i, value) in values.iter().enumerate() {
                let value = (*value).max(0);
                if value == 0 {
                    continue;
                }
                let (x0, x1) = (x(at), x(at + value));
                let fill = PALETTE[i % PALETTE.len()];
                let series = self.series.get(i).map_or(String::new(), |n| escape(n));
                let _ = write!(
                    s,
                    r#"<rect x="{x0}" y="{y}" width="{}" height="{BAR}" fill="{fill}"><title>{} {series}：{value}</title></rect>"#,
                    (x1 - x0).max(1),
                    escape(name)
                );
                at += value;
            }
            let _ = write!(
                s,
                r##"<text x="{}" y="{}" fill="#222">{total}</text>"##,
                x(*total) + 6,
                y + BAR - 5
            );
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chart(bars: Vec<(String, Vec<i64>)>) -> BarChart {
        BarChart {
            title: "在册家庭（按街道、类别）".into(),
            unit: "户数".into(),
            series: vec!["失独家庭".into(), "独生子女伤残家庭".into()],
            bars,
        }
    }

    #[test]
    fn full_street_names_title_and_unit_are_drawn() {
        let svg = chart(vec![
            ("新街口街道办事处".into(), vec![3, 2]),
            ("月坛街道".into(), vec![1, 0]),
        ])
        .to_svg();
        assert!(svg.contains(">新街口街道办事处</text>"));
        assert!(svg.contains(">在册家庭（按街道、类别）</text>"));
        assert!(svg.contains(">户数</text>"));
        assert!(svg.contains(">独生子女伤残家庭</text>"));
        // The total of a bar is printed beside it.
        assert!(svg.contains(">5</text>"));
    }

    #[test]
    fn markup_in_labels_is_escaped() {
        let svg = chart(vec![("<script>alert(1)</script>".into(), vec![1])]).to_svg();
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn an_empty_chart_still_has_an_axis() {
        let svg = chart(vec![]).to_svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(">0</text>"));
    }

    proptest! {
        #[test]
        fn ticks_cover_the_maximum_in_few_round_steps(max in 0i64..1_000_000_000_000) {
            let step = tick_step(max);
            prop_assert!(step >= 1);
            prop_assert!(step * MAX_TICKS >= max);
            // The step is the smallest of the round numbers that fits.
            let digits = step.to_string();
            prop_assert!(matches!(digits.as_bytes()[0], b'1' | b'2' | b'5'));
            prop_assert!(digits[1..].bytes().all(|b| b == b'0'));
            let smaller = [step / 2, step * 2 / 5, step / 5].into_iter().filter(|s| *s >= 1);
            for s in smaller {
                let d = s.to_string();
                if matches!(d.as_bytes()[0], b'1' | b'2' | b'5') && d[1..].bytes().all(|b| b == b'0') {
                    prop_assert!(s * MAX_TICKS < max.max(1));
                }
            }
        }

        #[test]
        fn escaped_text_has_no_markup(text in any::<String>()) {
            let e = escape(&text);
            prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('"'));
            prop_assert!(!e.chars().any(char::is_control));
        }

        #[test]
        fn bars_stay_inside_the_drawing(values in proptest::collection::vec((0i64..10_000, 0i64..10_000), 1..20)) {
            let bars = values.iter().enumerate().map(|(i, (a, b))| (format!("街道{i}"), vec![*a, *b])).collect();
            let svg = chart(bars).to_svg();
            for part in svg.split("<rect x=\"").skip(1) {
                let x: i64 = part.split('"').next().and_then(|v| v.parse().ok()).unwrap_or(-1);
                let w: i64 = part.split("width=\"").nth(1).and_then(|v| v.split('"').next()).and_then(|v| v.parse().ok()).unwrap_or(-1);
                prop_assert!(x >= 0 && w >= 1 && x + w <= WIDTH, "x {x} w {w}");
            }
        }
    }
}
