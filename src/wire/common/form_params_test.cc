#include "wire/common/form_params.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "base/error_details.h"
#include "base/strings.h"
#include "base/testing/cpu_growth.h"

namespace kith::wire {
namespace {

// Parses a query string alone and returns the result as compact JSON text.
std::string Q(std::string_view query) {
  StatusOr<Value> v = ParseRequestParams(query, "", "");
  if (!v.ok()) return "ERROR: " + std::string(v.status().message());
  return v->dump();
}

TEST(DecodeUrlEncodedTest, SplitsAndDecodes) {
  auto pairs = DecodeUrlEncoded("a=1&&b=x+y%20z&c&=v&d=%C3%A9%2B");
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  std::vector<std::pair<std::string, std::string>> want = {
      {"a", "1"}, {"b", "x y z"}, {"c", ""}, {"", "v"}, {"d", "\xC3\xA9+"}};
  EXPECT_EQ(*pairs, want);
}

TEST(DecodeUrlEncodedTest, DecodesNames) {
  auto pairs = DecodeUrlEncoded("email%5B1%5D%5Bemail%5D=a%40b.org&first+name=x");
  ASSERT_TRUE(pairs.ok());
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ((*pairs)[0].first, "email[1][email]");
  EXPECT_EQ((*pairs)[0].second, "a@b.org");
  EXPECT_EQ((*pairs)[1].first, "first name");
}

TEST(DecodeUrlEncodedTest, OnlyFirstEqualsSplits) {
  auto pairs = DecodeUrlEncoded("where=a=b");
  ASSERT_TRUE(pairs.ok());
  ASSERT_EQ(pairs->size(), 1u);
  EXPECT_EQ((*pairs)[0].second, "a=b");
}

TEST(DecodeUrlEncodedTest, EmptyInput) {
  auto pairs = DecodeUrlEncoded("");
  ASSERT_TRUE(pairs.ok());
  EXPECT_TRUE(pairs->empty());
  pairs = DecodeUrlEncoded("&&&");
  ASSERT_TRUE(pairs.ok());
  EXPECT_TRUE(pairs->empty());
}

TEST(DecodeUrlEncodedTest, RejectsBadEscapes) {
  for (const char* bad : {"name=%zz", "name=%4", "name=%", "name=ab%g1", "na%2=x"}) {
    auto pairs = DecodeUrlEncoded(bad);
    EXPECT_EQ(pairs.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  auto pairs = DecodeUrlEncoded("ok=1&sort_name=%zz");
  ASSERT_FALSE(pairs.ok());
  EXPECT_NE(pairs.status().message().find("sort_name"), std::string::npos)
      << pairs.status().message();
}

TEST(DecodeUrlEncodedTest, RejectsInvalidUtf8) {
  auto pairs = DecodeUrlEncoded("first_name=%C3%28");
  ASSERT_FALSE(pairs.ok());
  EXPECT_EQ(pairs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pairs.status().message(), "Invalid UTF-8 in parameter first_name");

  pairs = DecodeUrlEncoded("x%FF=1");  // in a name
  ASSERT_FALSE(pairs.ok());
  EXPECT_EQ(pairs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsValidUtf8(std::string(pairs.status().message())));

  pairs = DecodeUrlEncoded("a=\xED\xA0\x80");  // raw surrogate bytes
  EXPECT_EQ(pairs.status().code(), absl::StatusCode::kInvalidArgument);
}

// Each text is checked on its own: an ASCII name does not vouch for its
// value, nor a valid one for the next.
TEST(DecodeUrlEncodedTest, ChecksEachTextThatIsNotAscii) {
  auto pairs = DecodeUrlEncoded("n=%C3%A9&m=%C3");
  ASSERT_FALSE(pairs.ok());
  EXPECT_EQ(pairs.status().message(), "Invalid UTF-8 in parameter m");
  pairs = DecodeUrlEncoded("%C3%A9=a+b&c=%E6%97%A5");
  ASSERT_TRUE(pairs.ok());
  EXPECT_EQ((*pairs)[0], (std::pair<std::string, std::string>{"\xC3\xA9", "a b"}));
  EXPECT_EQ((*pairs)[1].second, "\xE6\x97\xA5");
  auto params = ParseRequestParams("a=1&b=x+y&a=%C3%A9", "", "");
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(*params, (Value{{"a", "\xC3\xA9"}, {"b", "x y"}}));
}

// Runs of bytes that stand for themselves are looked at eight at a time:
// a raw byte over 0x7f, a '+' or a '%' anywhere in such a word counts.
TEST(DecodeUrlEncodedTest, LongRunsAsByteByByte) {
  auto pairs = DecodeUrlEncoded("api_key=abcdefgh\xFFijklmnop");
  ASSERT_FALSE(pairs.ok());
  EXPECT_EQ(pairs.status().message(), "Invalid UTF-8 in parameter api_key");
  pairs = DecodeUrlEncoded("\xFF" "abcdefghijklmnop=1");
  EXPECT_FALSE(pairs.ok());
  pairs = DecodeUrlEncoded("t=abcdefgh\xC3\xA9ijklmnopqrstuvwx&u=abcdefg+hijklmno%41pqrstuvw+");
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  EXPECT_EQ((*pairs)[0].second, "abcdefgh\xC3\xA9ijklmnopqrstuvwx");
  EXPECT_EQ((*pairs)[1].second, "abcdefg hijklmnoApqrstuvw ");
  pairs = DecodeUrlEncoded("v=abcdefghijklmnop%zz");
  EXPECT_FALSE(pairs.ok());
}

// A query string alone with plain names is decoded in one pass (no pairs
// made first); anything it does not take is parsed the general way. A body
// type that is not a form goes the general way, so the two can be compared.
TEST(PlainQueryTest, AnswersAsTheGeneralParse) {
  const std::string long_text = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::vector<std::string> queries;
  for (const std::string& query : std::vector<std::string>{
           "", "&", "&&&", "a", "a=", "=v", "a=1", "a=1&&b=2&", "a=b=c&d==", "a&b&c=",
           "a=1&b=2&a=3", "x=1&x=2&x=3&y=4&x=5",
           "q=civicrm/contact/search&json=1&key=bench-site-key-0123456789"
           "&api_key=bench-admin-key-0123456789&contact_id=2",
           long_text + "=" + long_text + "&" + long_text + "2=" + long_text + "=" + long_text,
           "abcdefg=hijklmn&opqrstu=vwxyz&abcdefgh=ijklmnop&qrstuvwx=yz012345",
           "n%61me=v%61l+ue+&first+name=x", "%C3%A9=%E6%97%A5&a=%C3%A9", "a[b]=1&c=2",
           "c=2&a[]=1&a[]=2", "a.b=1", "+a=1", "a%00b=1", "a%5Bb%5D=1", "%20=1",
           "a=%zz", "a=1&b=%4", "abcdefghijklmnop%zz=1", "a=%C3%28", "%FF=1",
           "a=abcdefgh\xFFijklmnop", "__Host-x=1", "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10"
           "&k=11&l=12&m=13&n=14&o=15&p=16&q=17"}) {
    queries.push_back(query);
  }
  // Each special byte ('&', '=', '+', '%'), and a byte that is not UTF-8,
  // at each place of an eight-byte word.
  for (size_t at = 0; at < 10; ++at) {
    for (const std::string special : {"&", "=", "+", "%41", "\xFF", "\xC3\xA9"}) {
      const std::string before = long_text.substr(0, at);
      queries.push_back("v=" + before + special + long_text + "&w=1");
      queries.push_back(before + special + "n=" + long_text);
      queries.push_back("v=\xFF" + before + special + long_text);
    }
  }
  // Escapes one after another (a JSON value's), cut off, malformed, or
  // decoding to a stop, a bracket or a byte that is not UTF-8.
  for (const std::string query :
       {"params=%7B%22where%22%3A%5B%5B%22id%22%2C%22%3D%22%2C2%5D%5D%7D",
        "params=%7B%22where%22%3A%5B%5B%22id%22%2C%22%3D%22%2C2%5D%5D%7D&x=1", "a=%%41", "a=%4",
        "a=%", "a=%4g", "a=%g4", "a%=1", "%41%42%43%44%45%46%47%48%49=%4A%4b%4C%4d",
        "a=+%2B+%2b++", "%26=%3D&%3D=%26", "a%5B=1", "a%2Eb=1", "a%20b=1", "a=%C3%A9%C3",
        "abcdefgh%41=ijklmnop%41&qrstuvwx=%41yz012345%41"}) {
    queries.push_back(query);
  }
  // And at random: bytes of a query (stops, escapes whole and broken, '+',
  // bytes that are not UTF-8) in any order, some forty of them.
  std::mt19937_64 random(20);
  const std::vector<std::string> bits = {"a", "b", "z", "0", "9", "=", "&", "+", "%", "%4", "%41",
                                         "%2b", "%3D", "%26", "%5B", "%2E", "%FF", "%C3%A9", "%g1",
                                         "\xFF", "\xC3\xA9", ".", "[", "]", " "};
  for (int i = 0; i < 3000; ++i) {
    std::string query;
    for (int n = static_cast<int>(random() % 40); n > 0; --n) query += bits[random() % bits.size()];
    queries.push_back(query);
  }
  for (const std::string& query : queries) {
    StatusOr<Value> plain = ParseRequestParams(query, "", "");
    StatusOr<Value> general = ParseRequestParams(query, "text/plain", "");
    ASSERT_EQ(plain.ok(), general.ok()) << query;
    if (plain.ok()) {
      EXPECT_EQ(plain->dump(), general->dump()) << query;
    } else {
      EXPECT_EQ(plain.status(), general.status()) << query;
    }
  }
  // A later pair with the same name replaces the earlier one in its place.
  EXPECT_EQ(Q("a=1&b=2&a=3"), R"({"a":"3","b":"2"})");
  EXPECT_EQ(Q("a=b=c&d"), R"({"a":"b=c","d":""})");
  // The parameter count limit holds for it too.
  RequestLimits limits;
  limits.max_parameters = 2;
  EXPECT_TRUE(ParseRequestParams("a=1&&b=2&", "", "", limits).ok());
  StatusOr<Value> v = ParseRequestParams("a=1&b=2&c=3", "", "", limits);
  EXPECT_TRUE(IsTooLarge(v.status())) << v.status();
}

TEST(MergePhpParamsTest, BracketNesting) {
  EXPECT_EQ(Q("email[1][email]=a&email[1][location_type_id]=1"),
            R"({"email":{"1":{"email":"a","location_type_id":"1"}}})");
  EXPECT_EQ(Q("a[b][c][d]=1"), R"({"a":{"b":{"c":{"d":"1"}}}})");
}

TEST(MergePhpParamsTest, EmptyBracketsAppend) {
  EXPECT_EQ(Q("custom_5[]=a&custom_5[]=b"), R"({"custom_5":{"0":"a","1":"b"}})");
  // Next key is one more than the largest integer key.
  EXPECT_EQ(Q("a[5]=x&a[]=y&a[k]=z&a[]=w"), R"({"a":{"5":"x","6":"y","k":"z","7":"w"}})");
  // Non-canonical integers are string keys and do not count.
  EXPECT_EQ(Q("a[07]=x&a[]=y"), R"({"a":{"07":"x","0":"y"}})");
  EXPECT_EQ(Q("a[-3]=x&a[]=y"), R"({"a":{"-3":"x","0":"y"}})");
  // [] in the middle appends a new object each time.
  EXPECT_EQ(Q("a[][b]=1&a[][b]=2"), R"({"a":{"0":{"b":"1"},"1":{"b":"2"}}})");
  // A whitespace between the brackets still appends.
  EXPECT_EQ(Q("a[+]=1&a[]=2"), R"({"a":{"0":"1","1":"2"}})");
}

TEST(MergePhpParamsTest, TopLevelDotsAndSpacesMangled) {
  EXPECT_EQ(Q("return.sort_name=1"), R"({"return_sort_name":"1"})");
  EXPECT_EQ(Q("contact_id.2=7"), R"({"contact_id_2":"7"})");
  EXPECT_EQ(Q("first+name=x"), R"({"first_name":"x"})");
  EXPECT_EQ(Q("a[b.c]=1"), R"({"a":{"b.c":"1"}})");
  EXPECT_EQ(Q("a.b[c.d][e+f]=1"), R"({"a_b":{"c.d":{"e f":"1"}}})");
}

TEST(MergePhpParamsTest, LeadingSpacesAndEmptyNames) {
  EXPECT_EQ(Q("+++name=1"), R"({"name":"1"})");
  EXPECT_EQ(Q("=1&+=2&[a]=3&x=4"), R"({"x":"4"})");
}

TEST(MergePhpParamsTest, UnbalancedBracket) {
  EXPECT_EQ(Q("a[b=1"), R"({"a_b":"1"})");
  // As PHP 8: the rest of the name is mangled as a top-level name.
  EXPECT_EQ(Q("a[b.c+d[e=1"), R"({"a_b_c_d_e":"1"})");
  // After a complete segment, an unterminated one is ignored.
  EXPECT_EQ(Q("a[b][c=1"), R"({"a":{"b":"1"}})");
  // A later ']' closes the first '['.
  EXPECT_EQ(Q("a[b[c]=1"), R"({"a":{"b[c":"1"}})");
}

TEST(MergePhpParamsTest, TextAfterClosingBracketIgnored) {
  EXPECT_EQ(Q("a[b]junk[c]=1"), R"({"a":{"b":"1"}})");
  EXPECT_EQ(Q("a[]x=1&a[]y=2"), R"({"a":{"0":"1","1":"2"}})");
}

TEST(MergePhpParamsTest, Overwrites) {
  EXPECT_EQ(Q("a=1&b=2&a=3"), R"({"a":"3","b":"2"})");
  EXPECT_EQ(Q("a[x]=1&a[x]=2"), R"({"a":{"x":"2"}})");
  // A string overwritten by a nested form becomes an object, in place.
  EXPECT_EQ(Q("a=1&b=2&a[x]=3"), R"({"a":{"x":"3"},"b":"2"})");
  // A nested form overwritten by a string becomes the string.
  EXPECT_EQ(Q("a[x]=3&a=1"), R"({"a":"1"})");
  EXPECT_EQ(Q("a[x]=3&a=1&a[y]=2"), R"({"a":{"y":"2"}})");
}

TEST(MergePhpParamsTest, KeepsInsertionOrder) {
  EXPECT_EQ(Q("z=1&a=2&m=3&a=4"), R"({"z":"1","a":"4","m":"3"})");
}

TEST(MergePhpParamsTest, DepthLimit) {
  std::string ok = "a";
  for (int i = 0; i < 64; ++i) ok += "[k]";
  EXPECT_TRUE(ParseRequestParams(ok + "=1", "", "").ok());
  std::string deep = ok + "[k]=1";
  auto v = ParseRequestParams(deep, "", "");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("nests deeper than 64 levels"), std::string::npos);
  RequestLimits limits;
  limits.max_nesting_depth = 3;
  EXPECT_TRUE(ParseRequestParams("a[b][c][d]=1", "", "", limits).ok());
  EXPECT_FALSE(ParseRequestParams("a[b][c][d][e]=1", "", "", limits).ok());
  // 100,000 levels: refused at the limit, nothing built.
  std::string bomb = "a";
  for (int i = 0; i < 100000; ++i) bomb += "[k]";
  EXPECT_EQ(ParseRequestParams(bomb + "=1", "", "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MergePhpParamsTest, ParameterCountLimit) {
  RequestLimits limits;
  limits.max_parameters = 3;
  EXPECT_TRUE(ParseRequestParams("a=1&&b=2", "application/x-www-form-urlencoded", "c=3&", limits).ok());
  auto v = ParseRequestParams("a=1&b=2", "application/x-www-form-urlencoded", "c=3&d=4", limits);
  EXPECT_TRUE(IsTooLarge(v.status())) << v.status();
  EXPECT_EQ(v.status().message(), "The request has more than 3 parameters");
  std::string parts;
  for (int i = 0; i < 4; ++i) {
    parts += "--B\r\nContent-Disposition: form-data; name=\"p" + std::to_string(i) + "\"\r\n\r\nx\r\n";
  }
  parts += "--B--\r\n";
  EXPECT_TRUE(IsTooLarge(
      ParseRequestParams("", "multipart/form-data; boundary=B", parts, limits).status()));
}

// Distinct names: sixteen times as many cost about sixteen times the CPU (a
// quadratic merge, 256 times: 100,000 took half a minute once). The bound
// sits between the two, with room for the cache misses a larger input adds
// and for a loaded machine (with eight times as many and a bound of 24, a
// linear merge read 24.0005 at load 16-20).
TEST(MergePhpParamsTest, ManyDistinctParameters) {
  auto parse = [](int names) {
    std::string query;
    for (int i = 0; i < names; ++i) query += "p" + std::to_string(i) + "[x]=1&";
    RequestLimits limits;
    limits.max_parameters = 400000;
    auto v = ParseRequestParams(query, "", "", limits);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->size(), static_cast<size_t>(names));
  };
  EXPECT_LT(testing::CpuGrowth(parse, 12500, 16), 64.0);
}

TEST(MergePhpParamsTest, MergesIntoExistingObject) {
  Value params = {{"entity", "Contact"}, {"chain", {{"x", "1"}}}};
  ASSERT_TRUE(MergePhpParams({{"chain[y]", "2"}, {"entity", "Email"}, {"n[]", "a"}}, params).ok());
  EXPECT_EQ(params.dump(), R"({"entity":"Email","chain":{"x":"1","y":"2"},"n":{"0":"a"}})");

  Value empty;  // null is taken as an empty object
  ASSERT_TRUE(MergePhpParams({{"a", "1"}}, empty).ok());
  EXPECT_EQ(empty.dump(), R"({"a":"1"})");

  Value not_object = Value::array();
  EXPECT_FALSE(MergePhpParams({{"a", "1"}}, not_object).ok());
}

TEST(MergePhpParamsTest, NameCutAtNul) {
  EXPECT_EQ(Q("ab%00cd=1"), R"({"ab":"1"})");
}

TEST(ParseRequestParamsTest, BodyOverridesQuery) {
  auto v = ParseRequestParams("entity=Contact&action=get&json=1", "application/x-www-form-urlencoded",
                              "action=create&first_name=Ann");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->dump(), R"({"entity":"Contact","action":"create","json":"1","first_name":"Ann"})");
}

TEST(ParseRequestParamsTest, NestedMergeLikeRequest) {
  // $_REQUEST merges $_POST into $_GET recursively, by key.
  auto v = ParseRequestParams("a[x]=1&a[y]=2&l[]=q", "application/x-www-form-urlencoded",
                              "a[y]=3&a[z]=4&l[]=p");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->dump(), R"({"a":{"x":"1","y":"3","z":"4"},"l":{"0":"p"}})");
}

TEST(ParseRequestParamsTest, ContentTypeWithCharsetAndCase) {
  auto v = ParseRequestParams("", "Application/X-WWW-Form-URLEncoded; charset=UTF-8", "a=1");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->dump(), R"({"a":"1"})");
}

TEST(ParseRequestParamsTest, OtherBodiesIgnored) {
  for (const char* ct : {"", "application/json", "text/plain", "application/x-www-form-urlencodedx"}) {
    auto v = ParseRequestParams("q=1", ct, "a=1");
    ASSERT_TRUE(v.ok()) << ct;
    EXPECT_EQ(v->dump(), R"({"q":"1"})") << ct;
  }
}

TEST(ParseRequestParamsTest, ErrorsFromBodyOrQuery) {
  EXPECT_EQ(ParseRequestParams("a=%zz", "", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ParseRequestParams("", "application/x-www-form-urlencoded", "a=%FF").status().code(),
      absl::StatusCode::kInvalidArgument);
  // A body that is not parsed is not validated.
  EXPECT_TRUE(ParseRequestParams("", "application/octet-stream", "a=%FF").ok());
}

TEST(ParseRequestParamsTest, PlainNamesAsTheTreeBuildsThem) {
  // Plain names take a shorter way (no tree): the same objects as the tree
  // makes of the same pairs, with repeats replaced in place, and past the
  // shorter way's bound of pairs.
  std::string many;
  for (int i = 0; i < 20; ++i) many += "p" + std::to_string(i % 7) + "=" + std::to_string(i) + "&";
  for (const std::string& query : std::vector<std::string>{"a=1&b=2&a=3", "z=1&a=2&m=3&a=4", "x=&y&=z&&w=%20",
                                                           many, "a=1&b=2&c[d]=3", "a.b=1&a_b=2"}) {
    StatusOr<std::vector<std::pair<std::string, std::string>>> pairs = DecodeUrlEncoded(query);
    ASSERT_TRUE(pairs.ok()) << query;
    Value tree = Value::object();
    ASSERT_TRUE(MergePhpParams(*pairs, tree).ok()) << query;
    EXPECT_EQ(Q(query), tree.dump()) << query;
  }
  auto v = ParseRequestParams("a=1&b=2&c=3", "application/x-www-form-urlencoded", "b=4&d=5&a=6");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->dump(), R"({"a":"6","b":"4","c":"3","d":"5"})");
}

TEST(ParseRequestParamsTest, EmptyRequestIsEmptyObject) {
  auto v = ParseRequestParams("", "", "");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->is_object());
  EXPECT_EQ(v->dump(), "{}");
}

TEST(MultipartTest, TextFields) {
  std::string body =
      "preamble\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"entity\"\r\n"
      "\r\n"
      "Contact\r\n"
      "--XyZ\r\n"
      "content-disposition: form-data; name=\"json\"\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "\r\n"
      "{\"sequential\":1,\r\n\"x\":\"--XyZnot\"}\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"upload\"; filename=\"a.txt\"\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "file content\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"email[1][email]\"\r\n"
      "\r\n"
      "a@example.org\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"empty\"\r\n"
      "\r\n"
      "\r\n"
      "--XyZ--\r\n"
      "epilogue";
  auto v = ParseRequestParams("entity=Email&action=get", "multipart/form-data; boundary=XyZ", body);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->dump(),
            R"({"entity":"Contact","action":"get","json":"{\"sequential\":1,\r\n\"x\":\"--XyZnot\"}",)"
            R"("email":{"1":{"email":"a@example.org"}},"empty":""})");
}

TEST(MultipartTest, QuotedBoundaryAndBareNewlines) {
  std::string body =
      "--a b\n"
      "Content-Disposition: form-data; name=\"q\\\"x\"\n"
      "\n"
      "v\n"
      "--a b--";
  auto v = ParseRequestParams("", "Multipart/Form-Data; boundary=\"a b\"", body);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->dump(), R"({"q\"x":"v"})");
}

TEST(MultipartTest, RejectsMalformed) {
  const std::string ct = "multipart/form-data; boundary=B";
  const std::string part = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
  struct Case {
    std::string content_type, body;
  } cases[] = {
      {"multipart/form-data", part + "--B--"},                // no boundary
      {"multipart/form-data; boundary=\"B", part + "--B--"},  // unterminated quote
      {ct, "no delimiter at all"},
      {ct, part},                                          // no close delimiter
      {ct, "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n"},  // no blank line
      {ct, "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx"},  // unterminated
      {ct, "--B\r\nX-Other: 1\r\n\r\nx\r\n--B--"},         // no Content-Disposition
      {ct, "--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--B--"},
      {ct, "--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--"},  // no name
      {ct, "--B\r\nbad header\r\n\r\nx\r\n--B--"},
      {ct, "--Bjunk\r\n" + part.substr(5) + "--B--"},      // garbage after boundary
      {ct, part + "--B\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n\xFF\r\n--B--"},
  };
  for (const Case& c : cases) {
    auto v = ParseRequestParams("", c.content_type, c.body);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument)
        << c.content_type << " | " << c.body;
  }
  // The well-formed version of the same body parses.
  auto ok = ParseRequestParams("", ct, part + "--B--");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->dump(), R"({"a":"x"})");
}

TEST(CookieValueTest, FindsNamedCookie) {
  EXPECT_EQ(CookieValue("a=1; b=2", "b"), "2");
  EXPECT_EQ(CookieValue("a=1; b=2", "a"), "1");
  EXPECT_EQ(CookieValue("  a = 1 ;b=2;", "a"), "1");
  EXPECT_EQ(CookieValue("a=1; b=2", "c"), "");
  EXPECT_EQ(CookieValue("ab=1; b=x%20y", "b"), "x%20y");  // no decoding
  EXPECT_EQ(CookieValue("SESS=abc=def", "SESS"), "abc=def");
  EXPECT_EQ(CookieValue("a=1; a=2", "a"), "1");  // first wins, as in PHP
  EXPECT_EQ(CookieValue("", "a"), "");
  EXPECT_EQ(CookieValue("flag; a=1", "flag"), "");
}

}  // namespace
}  // namespace kith::wire
