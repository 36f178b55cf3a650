//! Whole worlds at once, for a server's admin: every row a world has in every table, copied
//! into another save (a backup, an export) or back, renamed, or deleted.

use redb::{ReadTransaction, TableDefinition};

use crate::schema::{
    BANS, CHECKPOINTS, INVITES, JOURNAL, JOURNAL_END, OUTBOX, PLAYED, PROOFS, TRADES,
};
use crate::{StoreError, StoredCheckpoint, encode};

/// The tables whose rows are keyed by (world, number) and hold bytes.
const NUMBERED: [TableDefinition<(&str, u64), &[u8]>; 4] = [CHECKPOINTS, JOURNAL, TRADES, OUTBOX];

/// Every row of one world.
#[derive(Clone, Debug, Default)]
pub struct WorldRows {
    /// Per table of [`NUMBERED`], in that order: (number, bytes).
    numbered: [Vec<(u64, Vec<u8>)>; 4],
    proofs: Vec<(u64, [u8; 32])>,
    journal_end: u64,
    played: Option<u64>,
    invites: Option<Vec<u8>>,
    bans: Option<Vec<u8>>,
}

impl WorldRows {
    /// The same world without what belongs to the server it was on: its invite secrets, its
    /// bans and the leaderboard facts it had not sent yet (an export to another server).
    pub fn portable(mut self) -> WorldRows {
        self.invites = None;
        self.bans = None;
        self.numbered[3].clear();
        self
    }
}

impl crate::Store {
    /// Every row of world `name`, or `None` when there is no such world.
    pub fn world_rows(&self, name: &str) -> Result<Option<WorldRows>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let Some(journal_end) = self.journal_end(&txn, name)? else {
            return Ok(None);
        };
        let mut rows = WorldRows {
            journal_end,
            ..WorldRows::default()
        };
        for (i, def) in NUMBERED.into_iter().enumerate() {
            rows.numbered[i] = self.numbered(&txn, def, name)?;
        }
        if let Some(table) = self.table(&txn, PROOFS)? {
            for row in table
                .range((name, 0)..=(name, u64::MAX))
                .map_err(|e| self.fail(e))?
            {
                let (key, value) = row.map_err(|e| self.fail(e))?;
                rows.proofs.push((key.value().1, value.value()));
            }
        }
        if let Some(table) = self.table(&txn, PLAYED)? {
            rows.played = table
                .get(name)
                .map_err(|e| self.fail(e))?
                .map(|v| v.value());
        }
        for (def, slot) in [(INVITES, &mut rows.invites), (BANS, &mut rows.bans)] {
            if let Some(table) = self.table(&txn, def)? {
                *slot = table
                    .get(name)
                    .map_err(|e| self.fail(e))?
                    .map(|v| v.value().to_vec());
            }
        }
        Ok(Some(rows))
    }

    /// Writes `rows` as world `name` in one transaction, refusing a name already taken. When
    /// the rows were another name's, every checkpoint is renamed (and its hash made again).
    pub fn put_world(&self, name: &str, rows: &WorldRows) -> Result<(), StoreError> {
        let mut checkpoints = Vec::with_capacity(rows.numbered[0].len());
        for (tick, bytes) in &rows.numbered[0] {
            let mut stored: StoredCheckpoint = self.decode(bytes, "checkpoint")?;
            if stored.save.state_hash() != stored.hash {
                return Err(self.corrupt(format!(
                    "the checkpoint at tick {tick} does not match its hash"
                )));
            }
            if stored.save.core.name != name {
                stored.save.core.name = name.to_owned();
                stored.hash = stored.save.state_hash();
            }
            checkpoints.push((*tick, encode(&stored)));
        }
        self.write(|txn| {
            self.begin_world(txn, name, rows.journal_end)?;
            let mut table = txn.open_table(CHECKPOINTS)?;
            for (tick, bytes) in &checkpoints {
                table.insert((name, *tick), bytes.as_slice())?;
            }
            for (def, numbered) in NUMBERED.into_iter().zip(&rows.numbered).skip(1) {
                let mut table = txn.open_table(def)?;
                for (n, bytes) in numbered {
                    table.insert((name, *n), bytes.as_slice())?;
                }
            }
            let mut proofs = txn.open_table(PROOFS)?;
            for (tick, hash) in &rows.proofs {
                proofs.insert((name, *tick), *hash)?;
            }
            if let Some(played) = rows.played {
                txn.open_table(PLAYED)?.insert(name, played)?;
            }
            for (def, value) in [(INVITES, &rows.invites), (BANS, &rows.bans)] {
                if let Some(value) = value {
                    txn.open_table(def)?.insert(name, value.as_slice())?;
                }
            }
            Ok(())
        })
    }

    /// Removes every row of world `name`; `false` when there was no such world.
    pub fn delete_world(&self, name: &str) -> Result<bool, StoreError> {
        let mut found = false;
        self.write(|txn| {
            found = txn.open_table(JOURNAL_END)?.remove(name)?.is_some();
            if !found {
                return Ok(());
            }
            for def in NUMBERED {
                txn.open_table(def)?
                    .retain_in((name, 0)..=(name, u64::MAX), |_, _| false)?;
            }
            txn.open_table(PROOFS)?
                .retain_in((name, 0)..=(name, u64::MAX), |_, _| false)?;
            for def in [INVITES, BANS] {
                txn.open_table(def)?.remove(name)?;
            }
            txn.open_table(PLAYED)?.remove(name)?;
            Ok(())
        })?;
        Ok(found)
    }

    fn numbered(
        &self,
        txn: &ReadTransaction,
        def: TableDefinition<(&str, u64), &[u8]>,
        name: &str,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let Some(table) = self.table(txn, def)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for row in table
            .range((name, 0)..=(name, u64::MAX))
            .map_err(|e| self.fail(e))?
        {
            let (key, value) = row.map_err(|e| self.fail(e))?;
            out.push((key.value().1, value.value().to_vec()));
        }
        Ok(out)
    }

    /// A table, or `None` in a file made before it existed.
    fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        txn: &ReadTransaction,
        def: TableDefinition<K, V>,
    ) -> Result<Option<redb::ReadOnlyTable<K, V>>, StoreError> {
        match txn.open_table(def) {
            Ok(table) => Ok(Some(table)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(self.fail(e)),
        }
    }
}
