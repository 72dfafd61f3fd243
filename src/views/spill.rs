//! Sorting more rows than should stay in memory: sorted runs spilled to a temporary file,
//! merged while the output is written.
//!
//! `review` must print every deal ranked by risk, yet hold no more than a chunk of rows at
//! once, so that its memory does not grow with the pipeline. Rows are collected into runs
//! of `run_size`; a full run is sorted and appended to one temporary file as JSON lines.
//! Reading back is a k-way merge that keeps one row and a small buffer per run. A pipeline
//! that fits in one run never touches the disk.
//!
//! The file lives in the system's temporary folder (`TMPDIR`), created by `tempfile`:
//! private to the user, unpredictable, and gone when the process ends however it ends.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Bytes read from a run at a time during the merge.
const BLOCK: usize = 64 * 1024;

pub struct Sorter<T> {
    pending: Vec<T>,
    run_size: usize,
    spill: Option<Spill>,
    /// Byte ranges of the runs in the spill file.
    runs: Vec<(u64, u64)>,
    total: usize,
    order: fn(&T, &T) -> Ordering,
}

struct Spill {
    writer: BufWriter<File>,
    written: u64,
}

/// An anonymous file in the system's temporary folder, readable and writable by this
/// user only (mode 0600), with a name nobody can predict, already unlinked (or deleted on
/// close where the system cannot unlink an open file): what a private pipeline puts
/// there is never visible to other users and nothing is left behind, even if the
/// process is killed.
pub(super) fn private_file() -> io::Result<File> {
    private_file_in(&std::env::temp_dir())
}

fn private_file_in(folder: &std::path::Path) -> io::Result<File> {
    let file = tempfile::tempfile_in(folder)?;
    // Linux's nameless O_TMPFILE takes the usual 0666 minus umask; nobody else can
    // reach a file without a name, but the mode says so too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

impl Spill {
    /// The rows go to a [`private_file`].
    fn create() -> io::Result<Spill> {
        Spill::create_in(&std::env::temp_dir())
    }

    fn create_in(folder: &std::path::Path) -> io::Result<Spill> {
        Ok(Spill {
            writer: BufWriter::new(private_file_in(folder)?),
            written: 0,
        })
    }
}

impl<T: Serialize + DeserializeOwned> Sorter<T> {
    pub fn new(run_size: usize, order: fn(&T, &T) -> Ordering) -> Sorter<T> {
        Sorter {
            pending: Vec::new(),
            run_size: run_size.max(1),
            spill: None,
            runs: Vec::new(),
            total: 0,
            order,
        }
    }

    pub fn push(&mut self, item: T) -> io::Result<()> {
        self.pending.push(item);
        self.total += 1;
        if self.pending.len() >= self.run_size {
            self.spill_run()?;
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.total
    }

    fn spill_run(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let order = self.order;
        self.pending.sort_by(order);
        if self.spill.is_none() {
            self.spill = Some(Spill::create()?);
        }
        let Some(spill) = self.spill.as_mut() else {
            return Ok(());
        };
        let start = spill.written;
        for item in self.pending.drain(..) {
            let line = serde_json::to_vec(&item).map_err(io::Error::other)?;
            spill.writer.write_all(&line)?;
            spill.writer.write_all(b"\n")?;
            spill.written += line.len() as u64 + 1;
        }
        self.runs.push((start, spill.written));
        Ok(())
    }

    /// Every row, in order.
    pub fn into_sorted(mut self) -> io::Result<Sorted<T>> {
        if self.spill.is_none() {
            let order = self.order;
            let mut rows = std::mem::take(&mut self.pending);
            rows.sort_by(order);
            return Ok(Sorted::Memory(rows.into_iter()));
        }
        self.spill_run()?;
        let Some(mut spill) = self.spill.take() else {
            return Ok(Sorted::Memory(Vec::new().into_iter()));
        };
        spill.writer.flush()?;
        let mut merge = Merge {
            spill,
            readers: self
                .runs
                .iter()
                .map(|&(start, end)| RunReader {
                    next: start,
                    end,
                    buffer: Vec::new(),
                    start: 0,
                })
                .collect(),
            heap: BinaryHeap::new(),
            order: self.order,
        };
        for run in 0..merge.readers.len() {
            merge.refill(run)?;
        }
        Ok(Sorted::Merge(merge))
    }
}

/// The rows in order, from memory or merged from the spill file.
pub enum Sorted<T> {
    Memory(std::vec::IntoIter<T>),
    Merge(Merge<T>),
}

impl<T: DeserializeOwned> Iterator for Sorted<T> {
    type Item = io::Result<T>;

    fn next(&mut self) -> Option<io::Result<T>> {
        match self {
            Sorted::Memory(rows) => rows.next().map(Ok),
            Sorted::Merge(merge) => merge.next_row().transpose(),
        }
    }
}

pub struct Merge<T> {
    spill: Spill,
    readers: Vec<RunReader>,
    heap: BinaryHeap<Head<T>>,
    order: fn(&T, &T) -> Ordering,
}

/// The next row of one run, ordered so that the heap's top is the smallest row.
struct Head<T> {
    row: T,
    run: usize,
    order: fn(&T, &T) -> Ordering,
}

impl<T> PartialEq for Head<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<T> Eq for Head<T> {}
impl<T> PartialOrd for Head<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Head<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap. Ties go to the earlier run, so equal rows
        // keep the order in which they were pushed.
        (self.order)(&other.row, &self.row).then(other.run.cmp(&self.run))
    }
}

impl<T: DeserializeOwned> Merge<T> {
    fn refill(&mut self, run: usize) -> io::Result<()> {
        let file = self.spill.writer.get_ref();
        if let Some(line) = self.readers[run].next_line(file)? {
            let row = serde_json::from_slice(&line).map_err(io::Error::other)?;
            self.heap.push(Head {
                row,
                run,
                order: self.order,
            });
        }
        Ok(())
    }

    fn next_row(&mut self) -> io::Result<Option<T>> {
        let Some(head) = self.heap.pop() else {
            return Ok(None);
        };
        self.refill(head.run)?;
        Ok(Some(head.row))
    }
}

/// Reads one run's lines through a small buffer.
struct RunReader {
    next: u64,
    end: u64,
    buffer: Vec<u8>,
    start: usize,
}

impl RunReader {
    fn next_line(&mut self, mut file: &File) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(length) = self.buffer[self.start..].iter().position(|b| *b == b'\n') {
                let line = self.buffer[self.start..self.start + length].to_vec();
                self.start += length + 1;
                return Ok(Some(line));
            }
            if self.next >= self.end {
                return Ok(None);
            }
            self.buffer.drain(..self.start);
            self.start = 0;
            let want = BLOCK.min((self.end - self.next) as usize);
            let old = self.buffer.len();
            self.buffer.resize(old + want, 0);
            file.seek(SeekFrom::Start(self.next))?;
            file.read_exact(&mut self.buffer[old..])?;
            self.next += want as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    //! The merge must give exactly the order a plain sort gives, whatever the run size.
    use super::*;

    /// D6: the rows of a private pipeline must not be readable by other users while a
    /// review runs, nor left behind under a predictable name.
    #[cfg(unix)]
    #[test]
    fn d6_the_spill_file_is_private_and_nameless() {
        use std::os::unix::fs::PermissionsExt;
        let scratch = tempfile::tempdir().unwrap();
        let spill = Spill::create_in(scratch.path()).unwrap();
        let mode = spill
            .writer
            .get_ref()
            .metadata()
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
        assert_eq!(
            std::fs::read_dir(scratch.path()).unwrap().count(),
            0,
            "the spill file has a name in the temporary folder"
        );
    }

    #[test]
    fn spilled_runs_merge_into_one_sorted_sequence() {
        let values: Vec<(u32, String)> = (0..1000u32)
            .map(|i| ((i * 7919) % 101, format!("deal-{i:04}\nwith a line break")))
            .collect();
        let order: fn(&(u32, String), &(u32, String)) -> Ordering =
            |a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1));
        let mut expected = values.clone();
        expected.sort_by(order);
        for run_size in [1, 7, 64, 5000] {
            let mut sorter = Sorter::new(run_size, order);
            for value in values.iter().cloned() {
                sorter.push(value).unwrap();
            }
            assert_eq!(sorter.len(), 1000);
            let merged: Vec<(u32, String)> = sorter
                .into_sorted()
                .unwrap()
                .collect::<io::Result<_>>()
                .unwrap();
            assert_eq!(merged, expected, "run size {run_size}");
        }
    }
}
