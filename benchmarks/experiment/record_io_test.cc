#include "benchmarks/experiment/record_io.h"

#include <dirent.h>

#include <algorithm>
#include <string>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "util/file_util.h"
#include "util/test_tmpdir.h"

namespace lasnn {
namespace {

using google::protobuf::util::MessageDifferencer;

RunRecord Record(const std::string& hash) {
  RunRecord r;
  r.set_config_hash(hash);
  r.mutable_config()->set_name("suite/fashion_mnist/lasnn_joint/student/T4/seed1");
  r.mutable_config()->set_method(LASNN_JOINT);
  r.set_status(RunRecord::OK);
  r.set_student_name("student");
  r.set_train_timesteps(4);
  for (double a : {0.81, 0.87, 0.9, 0.9125}) r.add_accuracy_at_t(a);
  r.set_ann_accuracy(0.934);
  TimestepCost* c = r.add_costs();
  c->set_timesteps(4);
  c->mutable_ops()->set_acs(7.5e5);
  r.mutable_provenance()->set_date_utc("2026-11-20T09:00:00Z");
  return r;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (const dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(RecordIoTest, WriteThenReadRoundTrips) {
  const std::string dir = TestTmpPath("roundtrip/nested/runs");  // created by WriteRecord
  const RunRecord r = Record("0123456789abcdef");
  ASSERT_TRUE(WriteRecord(dir, r).ok());
  auto back = ReadRecord(JoinPath(dir, "0123456789abcdef.pb"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(MessageDifferencer::Equals(r, *back));
  EXPECT_TRUE(RecordExists(dir, "0123456789abcdef"));
  EXPECT_FALSE(RecordExists(dir, "fedcba9876543210"));
  EXPECT_FALSE(RecordExists(dir, "../runs/0123456789abcdef"));
}

TEST(RecordIoTest, WritesThePbAndItsJsonTwinAndNothingElse) {
  const std::string dir = TestTmpPath("naming");
  ASSERT_TRUE(WriteRecord(dir, Record("run_A-1")).ok());
  ASSERT_TRUE(WriteRecord(dir, Record("run_A-1")).ok());  // rewriting replaces both files
  EXPECT_EQ(ListDir(dir), (std::vector<std::string>{"run_A-1.json", "run_A-1.pb"}));
  auto json = ReadFileToString(JoinPath(dir, "run_A-1.json"));
  ASSERT_TRUE(json.ok()) << json.status();
  // Proto field names, pretty printed.
  EXPECT_NE(json->find("\"config_hash\": \"run_A-1\""), std::string::npos) << *json;
  EXPECT_NE(json->find("\"accuracy_at_t\""), std::string::npos) << *json;
  EXPECT_EQ(json->find("configHash"), std::string::npos);
  EXPECT_NE(json->find('\n'), std::string::npos);
}

TEST(RecordIoTest, ReadRecordsSortsByFileNameAndSkipsOtherFiles) {
  const std::string dir = TestTmpPath("many");
  for (const char* h : {"c3", "a1", "b2"}) ASSERT_TRUE(WriteRecord(dir, Record(h)).ok());
  ASSERT_TRUE(WriteFileAtomically(JoinPath(dir, "notes.txt"), "not a record").ok());
  ASSERT_TRUE(WriteFileAtomically(JoinPath(dir, "a1.pb.tmp.XYZ123"), "half written").ok());
  ASSERT_TRUE(MakeDirectories(JoinPath(dir, "work")).ok());
  ASSERT_TRUE(MakeDirectories(JoinPath(dir, "dir.pb")).ok());  // a directory, not a record
  auto records = ReadRecords(dir);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].config_hash(), "a1");
  EXPECT_EQ((*records)[1].config_hash(), "b2");
  EXPECT_EQ((*records)[2].config_hash(), "c3");
}

TEST(RecordIoTest, EmptyDirectoryHasNoRecordsAndMissingOneIsNotFound) {
  const std::string dir = TestTmpPath("empty");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  auto none = ReadRecords(dir);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  auto missing = ReadRecords(TestTmpPath("no_such_runs_dir"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no_such_runs_dir"), std::string::npos);
  EXPECT_EQ(ReadRecord(TestTmpPath("no_such.pb")).status().code(), absl::StatusCode::kNotFound);
}

TEST(RecordIoTest, CorruptRecordIsDataLossNamingTheFile) {
  const std::string dir = TestTmpPath("corrupt");
  ASSERT_TRUE(WriteRecord(dir, Record("good")).ok());
  const std::string bad = JoinPath(dir, "zz_bad.pb");
  ASSERT_TRUE(WriteFileAtomically(bad, std::string("\xff\xff\xff not a protobuf", 19)).ok());
  auto one = ReadRecord(bad);
  EXPECT_EQ(one.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(one.status().message().find(bad), std::string::npos) << one.status();
  auto all = ReadRecords(dir);
  EXPECT_EQ(all.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(all.status().message().find("zz_bad.pb"), std::string::npos) << all.status();

  // A truncated record.
  const std::string bytes = Record("truncated").SerializeAsString();
  const std::string cut = JoinPath(TestTmpPath("truncated"), "t.pb");
  ASSERT_TRUE(MakeDirectories(TestTmpPath("truncated")).ok());
  ASSERT_TRUE(WriteFileAtomically(cut, bytes.substr(0, bytes.size() - 3)).ok());
  EXPECT_EQ(ReadRecord(cut).status().code(), absl::StatusCode::kDataLoss);

  // An empty file parses as an empty message: not a record either.
  const std::string empty = JoinPath(TestTmpPath("truncated"), "empty.pb");
  ASSERT_TRUE(WriteFileAtomically(empty, "").ok());
  auto e = ReadRecord(empty);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(e.status().message().find("empty.pb"), std::string::npos) << e.status();
}

TEST(RecordIoTest, BadHashIsRejectedAndNothingIsWritten) {
  const std::string dir = TestTmpPath("bad_hash");
  for (const char* hash : {"", "../evil", "a/b", "a b", "x.y", "caf\xc3\xa9", "-\n"}) {
    const absl::Status s = WriteRecord(dir, Record(hash));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "hash '" << hash << "': " << s;
    EXPECT_FALSE(IsValidRecordName(hash)) << hash;
  }
  EXPECT_FALSE(PathExists(dir));
  EXPECT_FALSE(PathExists(TestTmpPath("evil.pb")));
  EXPECT_TRUE(IsValidRecordName("0123abcDEF_-"));
}

}  // namespace
}  // namespace lasnn
