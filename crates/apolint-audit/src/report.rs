//! The audit as one self-contained HTML page for a team lead: headline
//! numbers, charts drawn as inline SVG (no script, no network), the phrases
//! and canned responses to fix first, per-agent comparison, the structure
//! of the replies to a complaint (scores and missing parts, per agent and
//! per canned response), and sample replies with their problems
//! highlighted.

use std::fmt::Write as _;

use apolint_core::{Category, Part};

use super::{per_reply_text, share_text, GroupStat, ScoreDist, StructureStat, Summary};

/// A part of a good reply in plain words (as the playground says it). A
/// match, so a new part cannot go without a label.
fn part_label(p: Part) -> &'static str {
    match p {
        Part::Greeting => "Greets the customer",
        Part::Acknowledgement => "Says what went wrong",
        Part::Apology => "Apologises",
        Part::Cause => "Explains why",
        Part::Responsibility => "Takes responsibility",
        Part::Fix => "Says what will be done",
        Part::Deadline => "Says by when",
        Part::Compensation => "Offers compensation",
        Part::Prevention => "Says how it won't recur",
        Part::Closing => "Thanks or offers a contact",
    }
}

/// Red below 50, amber below 80, green from 80.
fn score_color(score: u8) -> &'static str {
    match score {
        0..50 => "#d92d20",
        50..80 => "#f79009",
        _ => "#12b76a",
    }
}

/// The scale's tenths, as [`ScoreDist::histogram`] counts them.
const TENTHS: [&str; 10] = [
    "0–9", "10–19", "20–29", "30–39", "40–49", "50–59", "60–69", "70–79", "80–89", "90–100",
];

/// Columns: replies per tenth of the score scale, with counts and shares.
fn score_histogram(d: &ScoreDist) -> String {
    let hist = d.histogram();
    let n = d.count();
    let max = hist.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (w, h, pad_b, pad_t) = (760.0, 200.0, 34.0, 18.0);
    let col = w / 10.0;
    let mut svg = format!(
        r#"<svg id="structure-histogram" class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="Replies to a complaint by structure score">"#
    );
    for (i, &k) in hist.iter().enumerate() {
        let bh = (h - pad_b - pad_t) * k as f64 / max;
        let x = i as f64 * col;
        let _ = write!(
            svg,
            r#"<rect x="{rx:.1}" y="{ry:.1}" width="{rw:.1}" height="{bh:.1}" rx="3" fill="{fill}"><title>score {t}: {k} replies ({p:.1}%)</title></rect><text x="{cx:.1}" y="{vy:.1}" text-anchor="middle" class="val">{p:.0}%</text><text x="{cx:.1}" y="{ly:.1}" text-anchor="middle" class="axis">{t}</text>"#,
            rx = x + 8.0,
            ry = h - pad_b - bh,
            rw = col - 16.0,
            fill = score_color(((i * 10) as u8).min(100)),
            t = TENTHS[i],
            p = pct(k, n),
            cx = x + col / 2.0,
            vy = h - pad_b - bh - 5.0,
            ly = h - pad_b + 18.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A small histogram of one group's scores, for a table cell.
fn score_sparkline(d: &ScoreDist) -> String {
    let hist = d.histogram();
    let max = hist.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (w, h) = (120.0, 26.0);
    let mut svg = format!(
        r##"<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="scores by tenth: {}"><line x1="0" x2="{w}" y1="{h}" y2="{h}" stroke="#d0d5dd"/>"##,
        hist.map(|k| k.to_string()).join(", ")
    );
    for (i, &k) in hist.iter().enumerate() {
        let bh = if k == 0 {
            0.0
        } else {
            ((h - 2.0) * k as f64 / max).max(1.5)
        };
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{y:.1}" width="10" height="{bh:.1}" fill="{fill}"><title>score {t}: {k}</title></rect>"#,
            x = i as f64 * 12.0 + 1.0,
            y = h - bh,
            fill = score_color(((i * 10) as u8).min(100)),
            t = TENTHS[i],
        );
    }
    svg.push_str("</svg>");
    svg
}

/// `62 (45–80)`: median and quartiles, or a dash.
fn quartiles(d: &ScoreDist) -> (String, String) {
    match (d.quantile(0.25), d.median(), d.quantile(0.75)) {
        (Some(q1), Some(m), Some(q3)) => (
            format!(r#"<b style="color:{}">{m}</b>"#, score_color(m)),
            format!("{q1}–{q3}"),
        ),
        _ => ("—".into(), "—".into()),
    }
}

/// The part a group lacks most often, with its share of the group's
/// replies to a complaint.
fn most_missing(st: &StructureStat) -> String {
    st.most_missing().map_or("—".into(), |m| {
        format!(
            "{} <span class=\"muted\">({:.0}%)</span>",
            part_label(m.part),
            100.0 * m.share
        )
    })
}

/// What the replies to a complaint contain: the score distribution, the
/// parts most often missing, per agent and per canned response.
fn structure_section(h: &mut String, s: &Summary) {
    let st = &s.structure;
    let n = st.replies();
    if n == 0 {
        return;
    }
    let d = &st.scores;
    let (q1, m, q3) = (
        d.quantile(0.25).unwrap_or(0),
        d.median().unwrap_or(0),
        d.quantile(0.75).unwrap_or(0),
    );
    let _ = write!(
        h,
        r#"<section id="structure"><h2>Do replies to a complaint say everything they should?</h2><p class="why">{n} of {replies} ({share}) {answer} a complaint or a problem. Each gets a structure score from 0 to 100: the parts of a good reply it has (greeting, what went wrong, apology, why, responsibility, what will be done and by when, compensation, prevention, closing — those its situation calls for), less its findings.</p><div class="kpis"><div class="kpi"><b id="structure-median" style="color:{mc}">{m}</b><span>median structure score</span></div><div class="kpi"><b>{q1}–{q3}</b><span>middle half of the replies</span></div><div class="kpi"><b>{mean:.0}</b><span>mean score</span></div><div class="kpi"><b>{complete}</b><span>score 90 or more</span></div></div><h3>Replies by structure score</h3>{hist}"#,
        replies = super::plural(s.replies, "reply", "replies"),
        share = share_text(n, s.replies),
        answer = if n == 1 { "answers" } else { "answer" },
        mc = score_color(m),
        mean = d.mean().unwrap_or(0.0),
        complete = share_text(d.histogram()[9], n),
        hist = score_histogram(d),
    );
    // The parts most often missing.
    let missing: Vec<super::Missing> = st
        .missing_parts()
        .into_iter()
        .filter(|p| p.missing > 0)
        .collect();
    if !missing.is_empty() {
        let rows: Vec<(String, f64, &str, String)> = missing
            .iter()
            .map(|p| {
                (
                    part_label(p.part).to_owned(),
                    100.0 * p.share,
                    "#d92d20",
                    format!(
                        "({} replies; {} expected to have it)",
                        p.missing, p.expected
                    ),
                )
            })
            .collect();
        let _ = write!(
            h,
            r#"<h3>Parts most often missing</h3><p class="why">Share of the replies to a complaint that lack a part they should have (a deadline is not expected when the fix is already done, compensation only when the reply admits a fault, explanations not in a one-line chat answer).</p>{}<table id="missing-parts-table"><tr><th>Part</th><th class="n">Replies missing it</th><th class="n">Of replies to a complaint</th><th class="n">Of those expected to have it</th></tr>"#,
            bar_chart("missing-parts", &rows, "%")
        );
        for p in &missing {
            let _ = write!(
                h,
                r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{:.1}%</td><td class="n">{:.1}%</td></tr>"#,
                part_label(p.part),
                p.missing,
                100.0 * p.share,
                100.0 * p.share_of_expected
            );
        }
        h.push_str("</table>");
    }
    // Per agent: lowest median first.
    let mut agents: Vec<(&String, &StructureStat)> = s
        .by_agent
        .iter()
        .map(|(a, g)| (a, &g.structure))
        .filter(|(_, st)| st.replies() > 0)
        .collect();
    agents.sort_by(|a, b| {
        a.1.scores
            .median()
            .cmp(&b.1.scores.median())
            .then_with(|| b.1.replies().cmp(&a.1.replies()))
            .then_with(|| a.0.cmp(b.0))
    });
    agents.truncate(25);
    if !agents.is_empty() {
        h.push_str(r#"<h3>By agent</h3><p class="why">Lowest median first. The small chart shows the agent's replies by tenth of the score scale (0–9 on the left, 90–100 on the right).</p><table id="structure-by-agent"><tr><th>Agent</th><th class="n">Replies to a complaint</th><th>Scores</th><th class="n">Median</th><th class="n">Middle half</th><th>Most often missing</th></tr>"#);
        for (a, st) in &agents {
            let (med, mid) = quartiles(&st.scores);
            let _ = write!(
                h,
                r#"<tr><td>{}</td><td class="n">{}</td><td>{}</td><td class="n">{med}</td><td class="n">{mid}</td><td>{}</td></tr>"#,
                esc(a),
                st.replies(),
                score_sparkline(&st.scores),
                most_missing(st)
            );
        }
        h.push_str("</table>");
    }
    // Per canned response.
    let canned = s.canned_structure(10);
    if !canned.is_empty() {
        h.push_str(r#"<h3>By canned response</h3><p class="why">Macros (or identical replies sent many times) sent in answer to a complaint, those that leave the most out first (100 − median score, times replies): rewrite the macro once, complete every reply.</p><table id="structure-by-canned"><tr><th>Response</th><th class="n">Replies to a complaint</th><th>Scores</th><th class="n">Median</th><th class="n">Middle half</th><th>Most often missing</th></tr>"#);
        for c in canned {
            let st = c.structure.stat();
            let (med, mid) = quartiles(&st.scores);
            let _ = write!(
                h,
                r#"<tr><td>{}<span class="muted">{}</span></td><td class="n">{}</td><td>{}</td><td class="n">{med}</td><td class="n">{mid}</td><td>{}</td></tr>"#,
                c.canned
                    .as_deref()
                    .map_or(String::new(), |m| format!("<b>{}</b><br>", isolated(m))),
                esc(&super::excerpt(&c.text, 160)),
                st.replies(),
                score_sparkline(&st.scores),
                most_missing(&st)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</section>");
}

/// A category as a team lead reads it, and its colour in the charts. A
/// match, so a new category cannot go without a label.
fn look(cat: Category) -> (&'static str, &'static str) {
    match cat {
        Category::Cliche => ("Stock phrases", "#f79009"),
        Category::PassiveAggression => ("Passive aggression", "#d92d20"),
        Category::BlameShifting => ("Blame-shifting", "#c11574"),
        Category::NonApology => ("Non-apologies", "#7a2e0e"),
        Category::ImpossiblePromise => ("Impossible promises", "#6938ef"),
        Category::Bureaucratese => ("Officialese", "#667085"),
        Category::Impersonal => ("Impersonal tone", "#98a2b3"),
        Category::OverApology => ("Over-apologising", "#e478fa"),
        Category::MissingDeadline => ("Promise without a deadline", "#1570ef"),
        Category::VagueDeadline => ("Vague deadline", "#53b1fd"),
        Category::MissingCompensation => ("Fault without compensation", "#0e9384"),
        Category::Placeholder => ("Unfilled placeholder", "#b42318"),
        Category::NameMismatch => ("Wrong customer name", "#912018"),
        Category::Shouting => ("Shouting", "#dc6803"),
        Category::Hint => ("Wording hints", "#84caff"),
    }
}

/// The summary keys categories by name; a name no category has (a user's
/// typo cannot get here, but a future summary might) is shown as it is.
fn label(cat: &str) -> &str {
    cat.parse::<Category>().map_or(cat, |c| look(c).0)
}

fn color(cat: &str) -> &'static str {
    cat.parse::<Category>().map_or("#98a2b3", |c| look(c).1)
}

/// An export's name (agent, macro) escaped and set apart from the text
/// around it, so that a right-to-left mark in it (`Eve\u{202e}…`) cannot
/// reverse the report's own words after it.
fn isolated(s: &str) -> String {
    format!("<bdi>{}</bdi>", esc(s))
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn pct(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

/// Horizontal bars: (label, value, colour, note).
fn bar_chart(id: &str, rows: &[(String, f64, &str, String)], unit: &str) -> String {
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max).max(1e-9);
    let (w, row_h, label_w) = (760.0, 26.0, 230.0);
    let h = row_h * rows.len() as f64 + 10.0;
    let mut svg = format!(
        r#"<svg id="{id}" class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{id}">"#
    );
    for (i, (name, v, col, note)) in rows.iter().enumerate() {
        let y = 5.0 + i as f64 * row_h;
        let bw = (w - label_w - 110.0) * v / max;
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="lbl">{name}</text><rect x="{label_w}" y="{ry}" width="{bw:.1}" height="{bh}" rx="3" fill="{col}"><title>{name}: {v:.2}{unit} {note}</title></rect><text x="{vx:.1}" y="{ty}" class="val">{v_fmt}{unit}</text>"#,
            lx = label_w - 8.0,
            ty = y + row_h * 0.62,
            ry = y + 4.0,
            bh = row_h - 8.0,
            name = esc(name),
            note = esc(note),
            vx = label_w + bw + 6.0,
            v_fmt = if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            },
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Lines over months: findings per reply and share of clean replies.
fn trend_chart(months: &[(&String, &GroupStat)]) -> String {
    let (w, h, pad_l, pad_b, pad_t, pad_r) = (760.0, 260.0, 50.0, 40.0, 16.0, 50.0);
    let n = months.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            pad_l + (w - pad_l - pad_r) / 2.0
        } else {
            pad_l + (w - pad_l - pad_r) * i as f64 / (n - 1) as f64
        }
    };
    let per_reply: Vec<f64> = months
        .iter()
        .map(|(_, g)| {
            if g.replies == 0 {
                0.0
            } else {
                g.findings as f64 / g.replies as f64
            }
        })
        .collect();
    let max = per_reply.iter().copied().fold(0.0_f64, f64::max).max(0.1) * 1.15;
    let y = |v: f64| pad_t + (h - pad_t - pad_b) * (1.0 - v / max);
    let y_share = |p: f64| pad_t + (h - pad_t - pad_b) * (1.0 - p / 100.0);
    let mut svg = format!(
        r#"<svg id="trend" class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="trend">"#
    );
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{pad_l}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#eaecf0"/><text x="{tx}" y="{ty:.1}" class="axis" text-anchor="end">{v:.1}</text><text x="{rx}" y="{ty:.1}" class="axis">{p}%</text>"##,
            x2 = w - pad_r,
            yy = y(v),
            tx = pad_l - 6.0,
            ty = y(v) + 4.0,
            rx = w - pad_r + 6.0,
            p = k * 25,
        );
    }
    let path = |pts: Vec<(f64, f64)>| {
        pts.iter()
            .enumerate()
            .map(|(i, (a, b))| format!("{}{a:.1},{b:.1}", if i == 0 { "M" } else { "L" }))
            .collect::<String>()
    };
    let findings_pts: Vec<(f64, f64)> = per_reply
        .iter()
        .enumerate()
        .map(|(i, v)| (x(i), y(*v)))
        .collect();
    let clean_pts: Vec<(f64, f64)> = months
        .iter()
        .enumerate()
        .map(|(i, (_, g))| (x(i), y_share(pct(g.clean, g.replies))))
        .collect();
    let _ = write!(
        svg,
        r##"<path d="{}" fill="none" stroke="#d92d20" stroke-width="2.5"/><path d="{}" fill="none" stroke="#067647" stroke-width="2.5" stroke-dasharray="6 4"/>"##,
        path(findings_pts.clone()),
        path(clean_pts.clone())
    );
    for (i, ((m, g), (px, py))) in months.iter().zip(&findings_pts).enumerate() {
        let _ = write!(
            svg,
            r##"<circle cx="{px:.1}" cy="{py:.1}" r="3.5" fill="#d92d20"><title>{m}: {:.2} findings per reply, {} replies</title></circle>"##,
            per_reply[i], g.replies
        );
        if n <= 14 || i % (n / 12 + 1) == 0 {
            let _ = write!(
                svg,
                r#"<text x="{px:.1}" y="{ty}" class="axis" text-anchor="middle">{m}</text>"#,
                ty = h - pad_b + 18.0,
                m = esc(m)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The report page.
pub fn render(s: &Summary, title: &str) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — apolint audit</title><style>
body{{margin:0;background:#f6f7f9;color:#1d2430;font:15px/1.5 ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}}
main{{max-width:1080px;margin:0 auto;padding:28px}}
h1{{font-size:26px;margin:0 0 4px}} h2{{font-size:18px;margin:0 0 4px}} .sub{{color:#667085;margin:0 0 18px}}
.kpis{{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin:18px 0}}
.kpi{{background:#fff;border:1px solid #e3e6eb;border-radius:12px;padding:14px 16px}} .kpi b{{display:block;font-size:26px}} .kpi span{{color:#667085;font-size:13px}}
section{{background:#fff;border:1px solid #e3e6eb;border-radius:12px;padding:18px 20px;margin:16px 0}}
section p.why{{color:#667085;margin:0 0 12px;font-size:13.5px}}
.chart text{{font-size:12.5px;fill:#344054}} .chart .val{{fill:#667085}} .chart .axis{{font-size:11px;fill:#98a2b3}}
table{{border-collapse:collapse;width:100%;font-size:14px}} th,td{{text-align:left;padding:7px 8px;border-bottom:1px solid #eaecf0;vertical-align:top}} th{{color:#667085;font-weight:600;font-size:12.5px}}
td.n{{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}}
.chip{{display:inline-block;border-radius:5px;padding:0 7px;font-size:12px;color:#fff;white-space:nowrap}}
.sample{{border-left:4px solid #e3e6eb;padding:8px 12px;margin:10px 0;white-space:pre-wrap;font-size:14px}}
mark{{border-radius:3px;padding:0 1px}} .legend span{{margin-right:14px;font-size:13px;color:#667085}}
.bad{{font-family:ui-monospace,monospace;font-size:12.5px}}
h3{{font-size:15px;margin:18px 0 4px}} .muted{{color:#667085}} svg.spark{{display:block}} #structure .kpis{{margin:10px 0}}
</style></head><body><main>
<h1>What the team sends: {title}</h1>
<p class="sub">apolint audit of {replies} {replies_word} ({mb:.1} MB{empty}). Findings are phrases that make upset customers angrier: stock clichés, passive aggression, blaming others, promises without a date, and more.</p>
<div class="kpis">
<div class="kpi"><b id="kpi-replies">{replies}</b><span>{replies_word} checked</span></div>
<div class="kpi"><b id="kpi-clean">{clean}</b><span>with nothing to fix</span></div>
<div class="kpi"><b>{per_reply}</b><span>findings per reply</span></div>
<div class="kpi"><b>{bad}</b><span>{bad_words}</span></div>
</div>"#,
        title = esc(title),
        replies = s.replies,
        replies_word = if s.replies == 1 { "reply" } else { "replies" },
        mb = s.bytes as f64 / 1e6,
        clean = share_text(s.clean, s.replies),
        per_reply = per_reply_text(s.findings, s.replies),
        bad = s.bad_records,
        bad_words = if s.bad_records == 1 {
            "record that could not be read"
        } else {
            "records that could not be read"
        },
        empty = match s.empty {
            0 => String::new(),
            1 => "; 1 empty reply left out".to_owned(),
            n => format!("; {n} empty replies left out"),
        },
    );

    // Findings per category.
    // Sorted by what the bars show: the share of replies affected.
    let mut cats: Vec<(&str, u64)> = s.by_category.iter().map(|(k, v)| (*k, *v)).collect();
    cats.sort_by_key(|c| {
        std::cmp::Reverse((s.replies_by_category.get(c.0).copied().unwrap_or(0), c.1))
    });
    let rows: Vec<(String, f64, &str, String)> = cats
        .iter()
        .map(|(c, n)| {
            let replies = s.replies_by_category.get(c).copied().unwrap_or(0);
            (
                label(c).to_owned(),
                pct(replies, s.replies),
                color(c),
                format!("({})", super::plural(*n, "finding", "findings")),
            )
        })
        .collect();
    let _ = write!(
        h,
        r#"<section><h2>What goes wrong most often</h2><p class="why">Share of replies with at least one finding of each kind.</p>{}</section>"#,
        bar_chart("by-category", &rows, "%")
    );

    // Trend.
    let months: Vec<(&String, &GroupStat)> = s.by_month.iter().collect();
    if !months.is_empty() {
        let _ = write!(
            h,
            r#"<section><h2>Over time</h2><p class="why">Findings per reply (red, left axis) and share of replies with nothing to fix (green, right axis), by month.</p><div class="legend"><span style="color:#d92d20">● findings per reply</span><span style="color:#067647">- - replies with nothing to fix</span></div>{}</section>"#,
            trend_chart(&months)
        );
    }

    // Agents.
    if !s.by_agent.is_empty() {
        let mut agents: Vec<(&String, &GroupStat)> =
            s.by_agent.iter().filter(|(_, g)| g.replies > 0).collect();
        agents.sort_by(|a, b| {
            let ra = a.1.findings as f64 / a.1.replies as f64;
            let rb = b.1.findings as f64 / b.1.replies as f64;
            rb.total_cmp(&ra).then_with(|| a.0.cmp(b.0))
        });
        agents.truncate(25);
        let rows: Vec<(String, f64, &str, String)> = agents
            .iter()
            .map(|(a, g)| {
                let top = g
                    .by_category
                    .iter()
                    .max_by_key(|(_, n)| **n)
                    .map_or("", |(c, _)| *c);
                (
                    (*a).clone(),
                    g.findings as f64 / g.replies as f64,
                    color(top),
                    format!("{} replies, mostly {}", g.replies, label(top)),
                )
            })
            .collect();
        let _ = write!(
            h,
            r#"<section><h2>Who needs coaching on what</h2><p class="why">Findings per reply by agent (most first); the colour is the agent's most frequent problem.</p>{}<table><tr><th>Agent</th><th class="n">Replies</th><th class="n">Findings / reply</th><th class="n">Nothing to fix</th><th>Most frequent</th></tr>"#,
            bar_chart("by-agent", &rows, "")
        );
        for (a, g) in &agents {
            let top = g
                .by_category
                .iter()
                .max_by_key(|(_, n)| **n)
                .map_or("", |(c, _)| *c);
            let _ = write!(
                h,
                r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td>{}</td></tr>"#,
                esc(a),
                g.replies,
                per_reply_text(g.findings, g.replies),
                share_text(g.clean, g.replies),
                if top.is_empty() {
                    "—".to_owned()
                } else {
                    format!(
                        r#"<span class="chip" style="background:{}">{}</span>"#,
                        color(top),
                        label(top)
                    )
                }
            );
        }
        h.push_str("</table></section>");
    }

    structure_section(&mut h, s);

    // Channels.
    if !s.by_channel.is_empty() {
        h.push_str(r#"<section><h2>By channel</h2><table><tr><th>Channel</th><th class="n">Replies</th><th class="n">Findings / reply</th><th class="n">Nothing to fix</th></tr>"#);
        for (c, g) in &s.by_channel {
            let _ = write!(
                h,
                r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
                esc(c),
                g.replies,
                per_reply_text(g.findings, g.replies),
                share_text(g.clean, g.replies)
            );
        }
        h.push_str("</table></section>");
    }

    // Phrases.
    let phrases = s.top_phrases(20);
    if !phrases.is_empty() {
        h.push_str(r#"<section id="phrases"><h2>Phrases to retire first</h2><p class="why">The exact wording found most often. Rewriting these in macros and training removes the most findings.</p><table><tr><th>Phrase</th><th>Problem</th><th class="n">Times</th></tr>"#);
        for p in phrases {
            let _ = write!(
                h,
                r#"<tr><td>«{}»</td><td><span class="chip" style="background:{}">{}</span></td><td class="n">{}</td></tr>"#,
                esc(&p.example),
                color(p.category),
                label(p.category),
                p.count
            );
        }
        h.push_str("</table></section>");
    }

    // Canned responses.
    let canned = s.top_canned(10);
    if !canned.is_empty() {
        h.push_str(r#"<section id="canned"><h2>Canned responses that are themselves the problem</h2><p class="why">Macros (or identical replies sent many times) with findings, by their findings in all copies sent: fix the macro once, fix every reply.</p><table><tr><th>Response</th><th>Problems</th><th class="n">Sent</th><th class="n">Findings</th><th class="n">Per copy</th></tr>"#);
        for c in canned {
            let chips: String = c
                .categories
                .iter()
                .map(|cat| {
                    format!(
                        r#"<span class="chip" style="background:{}">{}</span> "#,
                        color(cat),
                        label(cat)
                    )
                })
                .collect();
            let _ = write!(
                h,
                r#"<tr><td>{}{}</td><td>{chips}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
                c.canned
                    .as_deref()
                    .map_or(String::new(), |m| format!("<b>{}</b><br>", isolated(m))),
                esc(&c.text),
                c.sent,
                c.findings,
                per_reply_text(c.findings, c.sent)
            );
        }
        h.push_str("</table></section>");
    }

    // Samples.
    if !s.samples.is_empty() {
        h.push_str(r#"<section id="samples"><h2>Sample replies</h2><p class="why">Replies with several different problems, highlighted. Hover a highlight for what is wrong.</p>"#);
        for sm in &s.samples {
            let mut spans: Vec<&(usize, usize, &str, String)> = sm
                .findings
                .iter()
                .filter(|f| f.1 > f.0 && f.1 - f.0 < 300)
                .collect();
            spans.sort_by_key(|f| (f.0, std::cmp::Reverse(f.1)));
            let mut body = String::new();
            let mut at = 0;
            for (start, end, cat, msg) in spans {
                if *start < at
                    || !sm.text.is_char_boundary(*start)
                    || !sm.text.is_char_boundary(*end)
                {
                    continue;
                }
                body.push_str(&esc(&sm.text[at..*start]));
                let _ = write!(
                    body,
                    r#"<mark style="background:{}33;box-shadow:inset 0 -2px 0 {}" title="{}: {}">{}</mark>"#,
                    color(cat),
                    color(cat),
                    label(cat),
                    esc(msg),
                    esc(&sm.text[*start..*end])
                );
                at = *end;
            }
            body.push_str(&esc(&sm.text[at..]));
            let cats: Vec<&str> = {
                let mut c: Vec<&str> = sm.findings.iter().map(|f| f.2).collect();
                c.dedup();
                c
            };
            let _ = write!(
                h,
                r#"<div class="sample"><div>{}{}</div>{body}</div>"#,
                sm.agent
                    .as_deref()
                    .map_or(String::new(), |a| format!("<b>{}</b> · ", isolated(a))),
                cats.iter().map(|c| label(c)).collect::<Vec<_>>().join(", ")
            );
        }
        h.push_str("</section>");
    }

    // Rules.
    let mut rules: Vec<(&String, &super::RuleStat)> = s.by_rule.iter().collect();
    rules.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
    if !rules.is_empty() {
        h.push_str(r#"<section><h2>All rules that fired</h2><table><tr><th>Rule</th><th>What it means</th><th class="n">Findings</th></tr>"#);
        for (id, r) in rules.iter().take(40) {
            let _ = write!(
                h,
                r#"<tr><td><code>{}</code></td><td>{}</td><td class="n">{}</td></tr>"#,
                esc(id),
                esc(&r.message),
                r.count
            );
        }
        h.push_str("</table></section>");
    }

    // Bad records.
    if s.bad_records > 0 {
        let _ = write!(
            h,
            r#"<section id="bad"><h2>Records that could not be read ({})</h2><p class="why">Counted, not checked. {} with where {}.</p><table>"#,
            s.bad_records,
            if s.bad.len() as u64 == s.bad_records {
                "Each is listed".to_owned()
            } else {
                format!("The first {} are listed", s.bad.len())
            },
            if s.bad_records == 1 {
                "it is"
            } else {
                "they are"
            }
        );
        for b in &s.bad {
            let _ = write!(
                h,
                r#"<tr><td class="bad">{}:{}</td><td>{}</td></tr>"#,
                esc(&b.source),
                b.line,
                esc(&b.reason)
            );
        }
        h.push_str("</table></section>");
    }
    h.push_str("<p class=\"sub\">Generated by apolint audit. Findings are warnings and errors; findings of severity info are not counted.</p></main></body></html>\n");
    h
}
