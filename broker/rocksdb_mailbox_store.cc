#include "broker/rocksdb_mailbox_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "broker/rocksdb_crc32c.h"
#include "common/ids.h"

namespace tayori::broker {
namespace {

const char* const kCfNames[] = {"default", "registry", "messages", "chunks", "inbox",
                                "sent",    "dedup",    "expiry",   "notices"};

// The backstop behind the sweeper: drops every entry of a message begun
// more than HORIZON seconds ago. The message id (a ULID, which starts with
// its time) sits at OFFSET in the key. Cold files meet it through
// periodic_compaction_seconds.
class BackstopFilter : public rocksdb::CompactionFilter {
 public:
  BackstopFilter(size_t offset, int64_t horizon, Env* env) : offset_(offset), horizon_(horizon), env_(env) {}
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice&, std::string*, bool*) const override {
    if (key.size() < offset_ + 26) return false;
    const int64_t ms = IdMillis(std::string_view(key.data() + offset_, 26));
    return ms >= 0 && ms / 1000 + horizon_ < env_->NowSeconds();
  }
  const char* Name() const override { return "tayori.BackstopFilter"; }

 private:
  const size_t offset_;
  const int64_t horizon_;
  Env* const env_;
};

std::string Be64(int64_t v) {
  std::string out(8, '\0');
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return out;
}

std::string ExpiryKey(int64_t at, const std::string& id) { return Be64(at) + id; }

std::string ChunkKey(const std::string& id, uint32_t file, uint32_t chunk);

// Deletes a message's chunks by their exact keys (the manifest says how many
// there are), since many range tombstones slow RocksDB down; a record whose
// manifest names no files gets a range delete.
void DeleteChunks(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf, const pb::MessageRecord& r) {
  pb::Manifest m;
  if (!m.ParseFromString(r.signed_().manifest()) || m.files_size() == 0) {
    batch->DeleteRange(cf, r.message_id(), r.message_id() + std::string(8, '\xff') + "\xff");
    return;
  }
  for (int f = 0; f < m.files_size(); ++f) {
    for (uint32_t c = 0; c < m.files(f).chunk_count(); ++c) {
      batch->Delete(cf, ChunkKey(r.message_id(), static_cast<uint32_t>(f), c));
    }
  }
}

// The ciphertext bytes of a message's files: from its record, or from its
// manifest for a record begun by a version that did not note them.
uint64_t CipherBytes(const pb::MessageRecord& r) {
  if (r.cipher_bytes() > 0) return r.cipher_bytes();
  pb::Manifest m;
  uint64_t total = 0;
  if (m.ParseFromString(r.signed_().manifest())) {
    for (const pb::FileEntry& f : m.files()) total += f.cipher_size();
  }
  return total;
}

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return NotFound("message_not_found", what);
  return IoError(what + ": " + s.ToString());
}

std::string Be32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint32_t ReadBe32(const char* p) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(p[0])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(p[1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(p[2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(p[3]));
}

std::string ChunkKey(const std::string& id, uint32_t file, uint32_t chunk) { return id + Be32(file) + Be32(chunk); }

std::string OfficeKey(const std::string& office) { return "office/" + office; }
std::string CurveKey(const std::string& pk) { return "curve/" + pk; }

}  // namespace

StatusOr<std::unique_ptr<RocksDbMailboxStore>> RocksDbMailboxStore::Open(const std::string& dir,
                                                                         const StoreOptions& options) {
  std::unique_ptr<RocksDbMailboxStore> store(new RocksDbMailboxStore());
  store->unlogged_chunk_bytes_ = options.unlogged_chunk_bytes;
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  if (options.rocksdb_env != nullptr) db_options.env = options.rocksdb_env;
  // Memory for memtables, all families together: past it the oldest is
  // flushed. Without it each family could hold 2 x 64 MiB before a flush,
  // and the broker's RSS would creep up for hours under a light load.
  db_options.db_write_buffer_size = 96 << 20;
  // One block cache for every family (each would otherwise make its own
  // of 32 MiB). With the memtables above, the store's memory is bounded
  // at about 128 MiB however long the broker runs.
  rocksdb::BlockBasedTableOptions table_options;
  store->block_cache_ = rocksdb::NewLRUCache(32 << 20);
  table_options.block_cache = store->block_cache_;
  std::shared_ptr<rocksdb::TableFactory> table_factory(rocksdb::NewBlockBasedTableFactory(table_options));
  // Chunks are written without sync; the commit's synced write makes every
  // earlier WAL record durable too (one WAL, written in order). Large
  // chunks skip the WAL, and the commit flushes them first.
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < kNumCf; ++i) {
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.table_factory = table_factory;
    if (i == kChunks) {
      cf_options.enable_blob_files = true;
      cf_options.min_blob_size = 4096;
      // Space of downloaded and expired chunks comes back as their blob
      // files empty out (mail leaves roughly in the order it came); GC
      // moves what is still live out of the oldest quarter only. Over all
      // files, every compaction would write every pending chunk again.
      cf_options.enable_blob_garbage_collection = true;
      cf_options.blob_garbage_collection_age_cutoff = 0.25;
      cf_options.write_buffer_size = 32 << 20;
    } else {
      // Records and index entries are small and rewritten as a message
      // moves on (begun, committed, leased, downloaded): a small memtable
      // flushes their churn every few thousand sends.
      cf_options.write_buffer_size = 4 << 20;
    }
    if (options.backstop_seconds > 0 && (i == kMessages || i == kChunks || i == kInbox || i == kSent || i == kDedup)) {
      const size_t offset = (i == kInbox || i == kSent || i == kDedup) ? 10 : 0;
      store->filters_.push_back(std::make_unique<BackstopFilter>(offset, options.backstop_seconds, options.env));
      cf_options.compaction_filter = store->filters_.back().get();
      cf_options.periodic_compaction_seconds = 86400;
    }
    descriptors.emplace_back(kCfNames[i], cf_options);
  }
  rocksdb::DB* db = nullptr;
  // Opening writes checksummed records (a new MANIFEST, the WAL's header):
  // if none reached rocksdb_crc32c.cc, RocksDB uses its own CRC32c. This
  // reference also keeps that file in every program that opens a store.
  const uint64_t crc_calls = RocksDbCrc32cCalls();
  rocksdb::Status s = rocksdb::DB::Open(db_options, dir, descriptors, &store->cf_, &db);
  if (!s.ok()) return IoError("cannot open the mailbox store in " + dir + ": " + s.ToString());
  store->hardware_crc32c_ = RocksDbCrc32cCalls() > crc_calls;
  store->db_.reset(db);
  return store;
}

RocksDbMailboxStore::~RocksDbMailboxStore() {
  for (auto* h : cf_) db_->DestroyColumnFamilyHandle(h);
  cf_.clear();
  if (db_) db_->Close().PermitUncheckedError();
}

Status RocksDbMailboxStore::Write(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(db_->Write(wo, batch), "write to the mailbox store failed");
}

Status RocksDbMailboxStore::PutOffice(const pb::OfficeRecord& office, bool create_only) {
  if (create_only) {
    auto existing = GetOffice(office.office());
    if (existing.ok()) {
      return Status(Code::kAlreadyExists, "already_exists", "office " + office.office() + " is already registered");
    }
  }
  rocksdb::WriteBatch batch;
  batch.Put(cf_[kRegistry], OfficeKey(office.office()), office.SerializeAsString());
  return Write(&batch, true);
}

StatusOr<pb::OfficeRecord> RocksDbMailboxStore::GetOffice(const std::string& office) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_[kRegistry], OfficeKey(office), &value);
  if (s.IsNotFound()) {
    return NotFound("not_registered", "office " + office + " is not registered");
  }
  RETURN_IF_ERROR(FromRocks(s, "registry read failed"));
  pb::OfficeRecord rec;
  if (!rec.ParseFromString(value)) return Internal("corrupt office record for " + office);
  return rec;
}

StatusOr<std::vector<pb::OfficeRecord>> RocksDbMailboxStore::ListOffices() {
  std::vector<pb::OfficeRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kRegistry]));
  for (it->Seek("office/"); it->Valid() && it->key().starts_with("office/"); it->Next()) {
    pb::OfficeRecord rec;
    if (!rec.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Internal("corrupt office record " + it->key().ToString());
    }
    out.push_back(std::move(rec));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "registry scan failed"));
  return out;
}

Status RocksDbMailboxStore::Enrol(const pb::OfficeRecord& office, const std::string& curve_pk) {
  rocksdb::WriteBatch batch;
  batch.Put(cf_[kRegistry], OfficeKey(office.office()), office.SerializeAsString());
  batch.Put(cf_[kRegistry], CurveKey(curve_pk), office.office());
  return Write(&batch, true);
}

Status RocksDbMailboxStore::RemoveTerminal(const pb::OfficeRecord& office, const std::string& curve_pk) {
  rocksdb::WriteBatch batch;
  batch.Put(cf_[kRegistry], OfficeKey(office.office()), office.SerializeAsString());
  batch.Delete(cf_[kRegistry], CurveKey(curve_pk));
  return Write(&batch, true);
}

StatusOr<std::string> RocksDbMailboxStore::OfficeForCurveKey(const std::string& curve_pk) {
  std::string office;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_[kRegistry], CurveKey(curve_pk), &office);
  if (s.IsNotFound()) return NotFound("not_enrolled", "unknown CURVE key");
  RETURN_IF_ERROR(FromRocks(s, "registry read failed"));
  return office;
}

StatusOr<std::optional<pb::MessageRecord>> RocksDbMailboxStore::FindBySendId(const std::string& sender,
                                                                             const std::string& send_id) {
  std::string id;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_[kDedup], sender + send_id, &id);
  if (s.IsNotFound()) return std::optional<pb::MessageRecord>();
  RETURN_IF_ERROR(FromRocks(s, "dedup read failed"));
  ASSIGN_OR_RETURN(pb::MessageRecord rec, GetMessage(id));
  return std::optional<pb::MessageRecord>(std::move(rec));
}

Status RocksDbMailboxStore::BeginMessage(const pb::MessageRecord& record) {
  rocksdb::WriteBatch batch;
  batch.Put(cf_[kMessages], record.message_id(), record.SerializeAsString());
  batch.Put(cf_[kDedup], record.sender_office() + record.send_id(), record.message_id());
  batch.Put(cf_[kExpiry], ExpiryKey(record.expire_unix(), record.message_id()), "");
  return Write(&batch, false);
}

Status RocksDbMailboxStore::PutMessage(const pb::MessageRecord& record) {
  rocksdb::WriteBatch batch;
  batch.Put(cf_[kMessages], record.message_id(), record.SerializeAsString());
  return Write(&batch, false);
}

StatusOr<pb::MessageRecord> RocksDbMailboxStore::GetMessage(const std::string& message_id) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_[kMessages], message_id, &value);
  RETURN_IF_ERROR(FromRocks(s, "no message " + message_id));
  pb::MessageRecord rec;
  if (!rec.ParseFromString(value)) return Internal("corrupt message record " + message_id);
  return rec;
}

Status RocksDbMailboxStore::PutChunk(const std::string& message_id, uint32_t file, uint32_t chunk,
                                     const std::string& data) {
  rocksdb::WriteBatch batch;
  batch.Put(cf_[kChunks], ChunkKey(message_id, file, chunk), data);
  rocksdb::WriteOptions wo;
  wo.disableWAL = unlogged_chunk_bytes_ > 0 && data.size() >= unlogged_chunk_bytes_;
  return FromRocks(db_->Write(wo, &batch), "write to the mailbox store failed");
}

StatusOr<std::string> RocksDbMailboxStore::GetChunk(const std::string& message_id, uint32_t file, uint32_t chunk) {
  std::string value;
  // Chunks are ciphertext whose AEAD tags and signed digests are checked
  // end to end; RocksDB's own (software CRC32c) check adds nothing.
  rocksdb::ReadOptions ro;
  ro.verify_checksums = false;
  rocksdb::Status s = db_->Get(ro, cf_[kChunks], ChunkKey(message_id, file, chunk), &value);
  RETURN_IF_ERROR(FromRocks(
      s, "chunk " + std::to_string(chunk) + " of file " + std::to_string(file) + " of " + message_id + " is missing"));
  return value;
}

StatusOr<std::vector<uint64_t>> RocksDbMailboxStore::ListChunks(const std::string& message_id) {
  std::vector<uint64_t> out;
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kChunks]));
  for (it->Seek(message_id); it->Valid() && it->key().starts_with(message_id); it->Next()) {
    rocksdb::Slice k = it->key();
    if (k.size() != message_id.size() + 8) continue;
    const char* p = k.data() + message_id.size();
    out.push_back((static_cast<uint64_t>(ReadBe32(p)) << 32) | ReadBe32(p + 4));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "chunk scan failed"));
  return out;
}

Status RocksDbMailboxStore::CommitMessage(const pb::MessageRecord& record, int64_t old_expire) {
  if (unlogged_chunk_bytes_ > 0 && CipherBytes(record) >= unlogged_chunk_bytes_) {
    // Its large chunks are in the memtable only: write them to their blob
    // files (synced) before the record that makes them visible.
    rocksdb::FlushOptions fo;
    fo.wait = true;
    fo.allow_write_stall = true;
    RETURN_IF_ERROR(FromRocks(db_->Flush(fo, cf_[kChunks]), "flushing the chunks failed"));
    // Each such flush starts a WAL file, and a WAL file stays until every
    // family has flushed what it holds. The records and indexes are small
    // and would hold thousands of WAL files: now and then they are flushed
    // too, which bounds the live WAL files at about kFlushAllEvery.
    // Housekeeping only (the chunks are durable already): a failure leaves
    // the WAL files to the next one, and does not fail the commit.
    if (++unlogged_flushes_ % kFlushAllEvery == 0) db_->Flush(fo, cf_).PermitUncheckedError();
  }
  rocksdb::WriteBatch batch;
  batch.Delete(cf_[kExpiry], ExpiryKey(old_expire, record.message_id()));
  batch.Put(cf_[kExpiry], ExpiryKey(record.expire_unix(), record.message_id()), "");
  batch.Put(cf_[kMessages], record.message_id(), record.SerializeAsString());
  batch.Put(cf_[kInbox], record.recipient_office() + record.message_id(), "");
  batch.Put(cf_[kSent], record.sender_office() + record.message_id(), "");
  return Write(&batch, true);
}

Status RocksDbMailboxStore::MarkDownloaded(const pb::MessageRecord& record) {
  rocksdb::WriteBatch batch;
  const std::string& id = record.message_id();
  DeleteChunks(&batch, cf_[kChunks], record);
  batch.Put(cf_[kMessages], id, record.SerializeAsString());
  return Write(&batch, true);
}

StatusOr<std::vector<pb::MessageRecord>> RocksDbMailboxStore::DueForExpiry(int64_t now, size_t limit,
                                                                           std::string* cursor) {
  std::vector<pb::MessageRecord> out;
  const std::string end = Be64(now + 1);
  const rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kExpiry]));
  if (cursor->empty())
    it->SeekToFirst();
  else
    it->Seek(*cursor);
  for (; it->Valid() && out.size() < limit; it->Next()) {
    *cursor = it->key().ToString() + '\0';  // just after this entry
    const std::string id = it->key().ToString().substr(8);
    auto rec = GetMessage(id);
    if (!rec.ok()) {
      if (rec.status().code() != Code::kNotFound) return rec.status();
      // A stale entry (its message is gone): drop it.
      rocksdb::WriteBatch batch;
      batch.Delete(cf_[kExpiry], it->key());
      RETURN_IF_ERROR(Write(&batch, false));
      continue;
    }
    out.push_back(std::move(rec).value());
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "expiry scan failed"));
  return out;
}

Status RocksDbMailboxStore::ApplyExpiry(const std::vector<pb::MessageRecord>& expire,
                                        const std::vector<int64_t>& old_expires,
                                        const std::vector<pb::MessageRecord>& purge,
                                        std::set<std::string>* /*left_alone*/) {
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < expire.size(); ++i) {
    const pb::MessageRecord& r = expire[i];
    DeleteChunks(&batch, cf_[kChunks], r);
    batch.Put(cf_[kMessages], r.message_id(), r.SerializeAsString());
    batch.Delete(cf_[kExpiry], ExpiryKey(old_expires[i], r.message_id()));
    batch.Put(cf_[kExpiry], ExpiryKey(r.expire_unix(), r.message_id()), "");
  }
  for (const pb::MessageRecord& r : purge) {
    DeleteChunks(&batch, cf_[kChunks], r);
    batch.Delete(cf_[kMessages], r.message_id());
    batch.Delete(cf_[kInbox], r.recipient_office() + r.message_id());
    batch.Delete(cf_[kSent], r.sender_office() + r.message_id());
    batch.Delete(cf_[kDedup], r.sender_office() + r.send_id());
    batch.Delete(cf_[kExpiry], ExpiryKey(r.expire_unix(), r.message_id()));
  }
  // Not synced: an expiry lost in a crash is found again in the expiry index.
  return Write(&batch, false);
}

Status RocksDbMailboxStore::ForEachMessage(const std::function<void(const pb::MessageRecord&)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kMessages]));
  pb::MessageRecord rec;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!rec.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Internal("corrupt message record " + it->key().ToString());
    }
    fn(rec);
  }
  return FromRocks(it->status(), "message scan failed");
}

MailboxStore::Memory RocksDbMailboxStore::MemoryUsage() {
  Memory m;
  // Active, immutable and pinned memtables; table readers not held in the
  // block cache. Summed over the families.
  db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kSizeAllMemTables, &m.memtables);
  db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &m.table_readers);
  m.block_cache = block_cache_->GetUsage();
  return m;
}

Status RocksDbMailboxStore::Compact() {
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto* cf : cf_) {
    RETURN_IF_ERROR(FromRocks(db_->CompactRange(o, cf, nullptr, nullptr), "compaction failed"));
  }
  return FromRocks(db_->FlushWAL(true), "WAL flush failed");
}

Status RocksDbMailboxStore::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint failed"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: flush the memtables first, so the copy needs no
  // WAL replay beyond what is still being written.
  return FromRocks(checkpoint->CreateCheckpoint(dir, 0), "checkpoint failed");
}

Status RocksDbMailboxStore::PutNotice(const pb::Notice& notice) {
  rocksdb::WriteBatch batch;
  batch.Put(cf_[kNotices], notice.id(), notice.SerializeAsString());
  return Write(&batch, true);
}

StatusOr<std::vector<pb::Notice>> RocksDbMailboxStore::ListNotices() {
  std::vector<pb::Notice> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[kNotices]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    pb::Notice n;
    if (!n.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Internal("corrupt notice " + it->key().ToString());
    }
    out.push_back(std::move(n));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "notice scan failed"));
  return out;
}

StatusOr<std::vector<pb::MessageRecord>> RocksDbMailboxStore::ListIndex(Cf cf, const std::string& office,
                                                                        const std::string& after_id, size_t limit) {
  std::vector<pb::MessageRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_[cf]));
  it->Seek(office + after_id);
  if (!after_id.empty() && it->Valid() && it->key() == rocksdb::Slice(office + after_id)) it->Next();
  for (; it->Valid() && it->key().starts_with(office) && out.size() < limit; it->Next()) {
    std::string id = it->key().ToString().substr(office.size());
    auto rec = GetMessage(id);
    if (!rec.ok()) {
      // The backstop filter works per column family: an index entry may
      // briefly outlive its record. Skip it.
      if (rec.status().code() == Code::kNotFound) continue;
      return rec.status();
    }
    out.push_back(std::move(rec).value());
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "mailbox scan failed"));
  return out;
}

StatusOr<std::vector<pb::MessageRecord>> RocksDbMailboxStore::ListInbox(const std::string& office,
                                                                        const std::string& after_id, size_t limit) {
  return ListIndex(kInbox, office, after_id, limit);
}

StatusOr<std::vector<pb::MessageRecord>> RocksDbMailboxStore::ListSent(const std::string& office,
                                                                       const std::string& after_id, size_t limit) {
  return ListIndex(kSent, office, after_id, limit);
}

}  // namespace tayori::broker
