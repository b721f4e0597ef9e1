//! Drawing the measured speedups and their Amdahl fits as an SVG, one panel per workload.

use std::error::Error;
use std::path::Path;

use plotters::prelude::*;

use super::amdahl;

/// One backend's measurements on one workload.
pub(crate) struct Series {
    /// The backend's name, as in the legend.
    pub name: &'static str,
    pub color: RGBColor,
    /// (workers, speedup over the sequential loop), for 1, 2, … workers.
    pub points: Vec<(usize, f64)>,
    /// Amdahl's law fitted to the points, on `min(workers, cores)` processors.
    pub fit: amdahl::Fit,
}

/// One workload's panel.
pub(crate) struct Panel {
    pub title: String,
    pub series: Vec<Series>,
}

/// Draws `panels` side by side into an SVG file at `out`.
pub(crate) fn draw(out: &Path, panels: &[Panel], cores: usize) -> Result<(), Box<dyn Error>> {
    let max_workers = panels
        .iter()
        .flat_map(|panel| &panel.series)
        .flat_map(|series| &series.points)
        .map(|&(workers, _)| workers)
        .max()
        .unwrap_or(1);
    let root = SVGBackend::new(out, (560 * panels.len() as u32, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    for (panel, area) in panels.iter().zip(root.split_evenly((1, panels.len()))) {
        draw_panel(&area, panel, cores, max_workers)?;
    }
    root.present()?;
    Ok(())
}

fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    panel: &Panel,
    cores: usize,
    max_workers: usize,
) -> Result<(), Box<dyn Error>> {
    let highest = panel
        .series
        .iter()
        .flat_map(|series| &series.points)
        .map(|&(_, speedup)| speedup)
        .fold(1.0, f64::max);
    let top = (highest * 1.15 * 2.0).ceil() / 2.0; // a multiple of one half
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.5..max_workers as f64 + 0.5, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("workers")
        .y_desc("speedup over the sequential loop")
        .x_labels(max_workers)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .light_line_style(WHITE)
        .draw()?;

    let grey = RGBColor(150, 150, 150);
    let ideal_end = (max_workers as f64).min(top);
    chart
        .draw_series(DashedLineSeries::new(
            [(1.0, 1.0), (ideal_end, ideal_end)],
            4,
            4,
            grey.into(),
        ))?
        .label("dashed: speedup = workers (a core each)")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], grey));
    let cores_at = cores as f64;
    chart.draw_series(LineSeries::new([(cores_at, 0.0), (cores_at, top)], grey))?;
    chart.draw_series(std::iter::once(Text::new(
        format!("{cores} cores"),
        (cores_at + 0.04, top * 0.55),
        ("sans-serif", 13).into_font().color(&grey),
    )))?;

    for series in &panel.series {
        let color = series.color;
        let curve = (0..=100).map(|step| {
            let workers = 1.0 + (max_workers as f64 - 1.0) * f64::from(step) / 100.0;
            (workers, series.fit.at(workers.min(cores as f64)))
        });
        chart
            .draw_series(LineSeries::new(curve, color.stroke_width(2)))?
            .label(format!(
                "{}: Amdahl fit, serial fraction {:.2}",
                series.name, series.fit.serial
            ))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(series.points.iter().map(|&(workers, speedup)| {
            Circle::new((workers as f64, speedup), 4, color.filled())
        }))?;
    }
    chart
        .configure_series_labels()
        .position(if highest > 1.0 {
            SeriesLabelPosition::LowerRight // the points rise: the bottom right stays empty
        } else {
            SeriesLabelPosition::UpperRight // no speedup: the points lie low
        })
        .background_style(WHITE.mix(0.85))
        .border_style(grey)
        .draw()?;
    Ok(())
}
