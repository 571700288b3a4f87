//! Page settings that live in the URL query, so a view can be shared, bookmarked and reloaded.
//!
//! [`use_query_state`] gives a signal with a default and a setter; values equal to the default
//! are left out of the URL to keep it short. Updates replace the history entry (dragging a
//! slider does not fill the back button) and do not scroll. The URL changes on the next
//! animation frame, so the signal follows one frame after the setter.

use std::fmt;
use std::str::FromStr;

use convlab_kernels::Grid;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::query_signal_with_options;

/// A setting stored under `key` in the URL query, `default` when absent or unparsable.
pub fn use_query_state<T>(key: &'static str, default: T) -> (Signal<T>, Callback<T>)
where
    T: FromStr + ToString + PartialEq + Clone + Send + Sync + 'static,
{
    let options = NavigateOptions {
        replace: true,
        scroll: false,
        ..Default::default()
    };
    let (get, set) = query_signal_with_options::<T>(key, options);
    let fallback = default.clone();
    let value = Signal::derive(move || get.get().unwrap_or_else(|| fallback.clone()));
    let setter = Callback::new(move |v: T| set.set(if v == default { None } else { Some(v) }));
    (value, setter)
}

/// A matrix in the URL: rows separated by `;`, values by `,` (e.g. `0,1;2,3`).
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixParam(pub Grid);

impl fmt::Display for MatrixParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<String> = self
            .0
            .to_rows()
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| format_number(*v))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        f.write_str(&rows.join(";"))
    }
}

impl FromStr for MatrixParam {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let rows: Result<Vec<Vec<f32>>, String> = s
            .split(';')
            .map(|row| {
                row.split(',')
                    .map(|v| match v.trim().parse::<f32>() {
                        Ok(x) if x.is_finite() => Ok(x),
                        Ok(_) => Err(format!("{v:?} is not a finite number")),
                        Err(e) => Err(format!("{v:?}: {e}")),
                    })
                    .collect()
            })
            .collect();
        let grid = Grid::from_rows(&rows?).map_err(|e| e.to_string())?;
        if grid.is_empty() || grid.rows() > 16 || grid.cols() > 16 {
            return Err("a matrix in the URL must have 1 to 16 rows and columns".into());
        }
        Ok(Self(grid))
    }
}

/// A number as short as it can be written without losing what the user typed:
/// `3`, `0.5`, `-0.125`, `0.111`.
pub fn format_number(v: f32) -> String {
    if v == v.round() && v.abs() < 1e6 {
        return format!("{}", v as i64);
    }
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn matrices_round_trip() {
        let m: MatrixParam = "0,1.5;-2,3".parse().unwrap();
        assert_eq!(m.0.to_rows(), vec![vec![0.0, 1.5], vec![-2.0, 3.0]]);
        assert_eq!(m.to_string(), "0,1.5;-2,3");
        assert!("1,2;3".parse::<MatrixParam>().is_err());
        assert!("a".parse::<MatrixParam>().is_err());
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(-0.125), "-0.125");
        assert_eq!(format_number(1.0 / 9.0), "0.111");
    }
}
