//! A bar chart as an SVG drawn on the server: no script, no inline style
//! (presentation attributes only, which the pages' CSP allows), readable by
//! screen readers (`role="img"`, a title, a description, a title per bar).
//! Hand-written: a few dozen lines, where a plotting crate would bring fonts
//! and rasterisers the function does not need.

/// One bar: its label (under the axis), its value, and the value as text.
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub text: String,
}

const WIDTH: u64 = 720;
const HEIGHT: u64 = 260;
const LEFT: u64 = 90;
const RIGHT: u64 = 10;
const TOP: u64 = 20;
const BOTTOM: u64 = 40;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" top for the axis: 1, 2 or 5 times a power of ten, at least `max`.
pub fn nice_top(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if let Some(v) = step.checked_mul(m) {
                if v >= max {
                    return v;
                }
            }
        }
        match step.checked_mul(10) {
            Some(s) => step = s,
            None => return u64::MAX,
        }
    }
}

/// The chart; `id` names its title and description (unique in the page).
/// `axis` formats a value for the vertical axis.
pub fn bars(
    id: &str,
    title: &str,
    description: &str,
    bars: &[Bar],
    axis: impl Fn(u64) -> String,
) -> String {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let top = nice_top(max);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = bars.len().max(1) as u64;
    let slot = plot_w as f64 / n as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" class=\"bar-chart\">\
<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        esc(title),
        esc(description)
    );
    // Grid lines and the axis' values.
    for i in 0..=4u64 {
        let v = top / 4 * i;
        let y = TOP + plot_h - plot_h * i / 4;
        out.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#d9dadb\" stroke-width=\"1\"/>\
<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\" fill=\"#3d4955\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6,
            y + 4,
            esc(&axis(v))
        ));
    }
    // At most about ten labels under the axis.
    let every = (bars.len() as u64).div_ceil(10).max(1) as usize;
    for (i, b) in bars.iter().enumerate() {
        let h = (b.value as f64 / top as f64 * plot_h as f64).round() as u64;
        let x = LEFT as f64 + slot * i as f64 + (slot - bar_w) / 2.0;
        let y = TOP + plot_h - h;
        out.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{bar_w:.1}\" height=\"{h}\" fill=\"#0066cc\"><title>{}: {}</title></rect>",
            esc(&b.label),
            esc(&b.text)
        ));
        if i % every == 0 {
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#3d4955\">{}</text>",
                x + bar_w / 2.0,
                HEIGHT - BOTTOM + 16,
                esc(&b.label)
            ));
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_tops() {
        assert_eq!(nice_top(1), 1);
        assert_eq!(nice_top(3), 5);
        assert_eq!(nice_top(7), 10);
        assert_eq!(nice_top(101), 200);
        assert_eq!(nice_top(150_050), 200_000);
        assert_eq!(nice_top(u64::MAX), u64::MAX);
    }

    #[test]
    fn bars_are_drawn_to_scale_with_titles_and_escaped_text() {
        let svg = bars(
            "per-day",
            "Incassato <per giorno>",
            "3 giorni",
            &[
                Bar {
                    label: "01/05".into(),
                    value: 1000,
                    text: "10,00 €".into(),
                },
                Bar {
                    label: "02/05".into(),
                    value: 0,
                    text: "0,00 €".into(),
                },
                Bar {
                    label: "03/05".into(),
                    value: 500,
                    text: "5,00 €".into(),
                },
            ],
            |v| format!("{v}"),
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Incassato &lt;per giorno&gt;"));
        assert!(svg.contains("role=\"img\" aria-labelledby=\"per-day-title per-day-desc\""));
        assert_eq!(svg.matches("<rect").count(), 3);
        // The tallest bar fills the plot (200 px: the axis' top is 1000), the
        // third is half of it, the empty day has none.
        assert!(svg.contains("height=\"200\" fill=\"#0066cc\"><title>01/05: 10,00 €</title>"));
        assert!(svg.contains("height=\"100\" fill=\"#0066cc\"><title>03/05: 5,00 €</title>"));
        assert!(svg.contains("height=\"0\" fill=\"#0066cc\"><title>02/05: 0,00 €</title>"));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn many_days_get_a_label_every_few() {
        let days: Vec<Bar> = (0..31)
            .map(|i| Bar {
                label: format!("d{i}"),
                value: i,
                text: String::new(),
            })
            .collect();
        let svg = bars("c", "t", "d", &days, |v| v.to_string());
        let labels = svg.matches("text-anchor=\"middle\"").count();
        assert!((8..=11).contains(&labels), "{labels}");
    }
}
