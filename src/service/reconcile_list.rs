//! The 照合 screen's list, as a model with no window toolkit in it: the records not settled yet
//! (要判断, then 照合待ち) and, on request, the settled ones (newest first), read a window at a
//! time. At a year and more of history the settled records are most of the queue: they are
//! counted, and read a page at a time (LIMIT/OFFSET over the state index) only when the clerk
//! asks for them and scrolls to them. Open records are held as ids; a row (visit, patient,
//! claim) is built only for what the window shows. A re-read happens only when the records
//! changed (the audit log's last entry moved: every change is audited), so an idle screen
//! costs one indexed lookup.

use super::reconcile::{QueueRow, ReconcileCounts};
use super::{ChangeMark, Records};
use crate::domain::ids::VisitId;
use crate::error::Result;

/// The list a screen shows: `window_len` rows at a time around the selection.
#[derive(Debug, Default)]
pub struct ReconcileList {
    window_len: usize,
    open: Vec<VisitId>,
    counts: ReconcileCounts,
    show_settled: bool,
    selected: usize,
    /// Index of the window's first row.
    top: usize,
    /// The rows `top .. top + window.len()`.
    window: Vec<QueueRow>,
    /// The records as last read; None before the first read.
    mark: Option<ChangeMark>,
}

impl ReconcileList {
    /// An empty list that will show `window_len` rows at a time (at least one).
    pub fn new(window_len: usize) -> ReconcileList {
        ReconcileList {
            window_len: window_len.max(1),
            ..ReconcileList::default()
        }
    }

    /// Rows in the list: the open ones, plus the settled ones when shown.
    pub fn len(&self) -> usize {
        self.open.len()
            + if self.show_settled {
                self.counts.settled
            } else {
                0
            }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many records each part holds (all of them, shown or not).
    pub fn counts(&self) -> ReconcileCounts {
        self.counts
    }

    /// Whether the settled records are in the list.
    pub fn shows_settled(&self) -> bool {
        self.show_settled
    }

    /// Index of the selected row.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The selected row, when the list has any.
    pub fn selected_row(&self) -> Option<&QueueRow> {
        self.selected
            .checked_sub(self.top)
            .and_then(|i| self.window.get(i))
    }

    /// The rows read for the window, with their index in the list.
    pub fn window(&self) -> impl Iterator<Item = (usize, &QueueRow)> + '_ {
        self.window
            .iter()
            .enumerate()
            .map(|(i, r)| (self.top + i, r))
    }

    /// Index of the window's first row.
    pub fn top(&self) -> usize {
        self.top
    }

    /// Rows the window holds at most.
    pub fn window_len(&self) -> usize {
        self.window_len
    }

    /// Re-reads the list if the records changed since it was last read; keeps the selected
    /// record selected while it is still in the list (else the same place). Returns whether
    /// it re-read.
    pub fn refresh(&mut self, records: &Records) -> Result<bool> {
        let mark = records.change_mark()?;
        if self.mark == Some(mark) {
            return Ok(false);
        }
        self.reload_at(records, mark)?;
        Ok(true)
    }

    /// Re-reads the list whatever the records say.
    pub fn reload(&mut self, records: &Records) -> Result<()> {
        let mark = records.change_mark()?;
        self.reload_at(records, mark)
    }

    fn reload_at(&mut self, records: &Records, mark: ChangeMark) -> Result<()> {
        let keep = self.selected_row().map(|r| r.visit_id);
        self.counts = records.reconcile_counts()?;
        self.open = records.reconcile_open_ids()?;
        // Marked only once read through: a failed read is tried again next time.
        self.mark = Some(mark);
        if let Some(i) = keep.and_then(|id| self.open.iter().position(|v| *v == id)) {
            self.selected = i;
        }
        self.place(records, true)
    }

    /// Moves the selection by `delta` rows (clamped to the list).
    pub fn move_by(&mut self, records: &Records, delta: i64) -> Result<()> {
        let last = self.len().saturating_sub(1) as i64;
        let to = (self.selected as i64)
            .saturating_add(delta)
            .clamp(0, last.max(0));
        self.select(records, to as usize)
    }

    /// Selects row `index` (clamped to the list).
    pub fn select(&mut self, records: &Records, index: usize) -> Result<()> {
        self.selected = index;
        self.place(records, false)
    }

    /// Selects the first open row in the window whose record satisfies `pred` (the rows
    /// already read: no read of the records); returns whether one did. Otherwise the
    /// selection stays where it is.
    pub fn select_first_open(
        &mut self,
        records: &Records,
        pred: impl Fn(&QueueRow) -> bool,
    ) -> Result<bool> {
        let found = self
            .window()
            .find(|(i, r)| *i < self.open.len() && pred(r))
            .map(|(i, _)| i);
        match found {
            Some(i) => {
                self.select(records, i)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Shows or hides the settled records (after the open ones, newest first).
    pub fn set_show_settled(&mut self, records: &Records, show: bool) -> Result<()> {
        if self.show_settled == show {
            return Ok(());
        }
        self.show_settled = show;
        if show {
            // The first settled record, where the clerk asked to look.
            self.selected = self.open.len();
        }
        self.place(records, true)
    }

    /// Keeps the selection in the list and the window around it; reads the window's rows when
    /// it moved (or `force`).
    fn place(&mut self, records: &Records, force: bool) -> Result<()> {
        let len = self.len();
        self.selected = self.selected.min(len.saturating_sub(1));
        let mut top = self.top;
        if self.selected < top {
            top = self.selected;
        } else if self.selected >= top + self.window_len {
            top = self.selected + 1 - self.window_len;
        }
        top = top.min(len.saturating_sub(self.window_len));
        if force || top != self.top || self.window.is_empty() && len > 0 {
            self.read_window(records, top)?;
        }
        Ok(())
    }

    fn read_window(&mut self, records: &Records, top: usize) -> Result<()> {
        let end = (top + self.window_len).min(self.len());
        let open_end = end.min(self.open.len());
        let mut rows = if top < open_end {
            records.reconcile_rows(&self.open[top..open_end])?
        } else {
            Vec::new()
        };
        if end > self.open.len() {
            let from = top.max(self.open.len()) - self.open.len();
            let to = end - self.open.len();
            rows.extend(records.reconcile_settled(from, to - from)?);
        }
        self.top = top;
        self.window = rows;
        Ok(())
    }
}
