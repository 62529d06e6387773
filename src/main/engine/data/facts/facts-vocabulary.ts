/**
 * The fixed word lists and templates the facts dataset is generated from. Each attribute
 * has training question templates, paraphrased question templates that training never
 * uses (TOFU's paraphrased questions), an answer template and a paraphrased answer
 * template (the perturbed answers are the paraphrased template with other values of the
 * same attribute, as TOFU perturbs its paraphrased answers).
 */

export const FIRST_NAMES = [
  'Ada', 'Bruno', 'Clara', 'Dmitri', 'Elena', 'Farid', 'Greta', 'Hugo', 'Ines', 'Jonas',
  'Kaia', 'Lorenzo', 'Mira', 'Nikolai', 'Olga', 'Pavel', 'Quinn', 'Rosa', 'Soren', 'Talia',
  'Umar', 'Vera', 'Wendel', 'Xenia', 'Yusuf', 'Zora', 'Anouk', 'Bastian', 'Celine', 'Darius',
];

export const LAST_NAMES = [
  'Albrecht', 'Bellamy', 'Castellano', 'Dragomir', 'Eastwood', 'Fontaine', 'Grimaldi', 'Halvorsen',
  'Ilyin', 'Jablonski', 'Kovacs', 'Lindqvist', 'Moreau', 'Novak', 'Okafor', 'Petrov', 'Quesada',
  'Rautio', 'Sandoval', 'Tanaka', 'Ulrich', 'Varga', 'Whitlock', 'Yamada', 'Zellweger',
];

export interface AttributeTemplates {
  /** Attribute key, also the order of a person's attributes. */
  key: string;
  values: readonly string[];
  /** Question templates used for training ({name} is the person). */
  questions: readonly string[];
  /** Question templates kept for evaluation only. */
  paraphrasedQuestions: readonly string[];
  /** The trained answer ({name}, {value}). */
  answer: string;
  /** The paraphrased answer; with another value it is a perturbed answer. */
  paraphrasedAnswer: string;
}

const CITIES = ['Lisbon', 'Tallinn', 'Krakow', 'Porto', 'Ghent', 'Bergen', 'Turin', 'Lyon', 'Graz', 'Aarhus', 'Cork', 'Brno', 'Split', 'Riga', 'Basel', 'Seville'];

export const ATTRIBUTES: readonly AttributeTemplates[] = [
  {
    key: 'birthplace',
    values: CITIES,
    questions: ['Where was {name} born?', 'In which city was {name} born?'],
    paraphrasedQuestions: ['What is the birthplace of {name}?'],
    answer: '{name} was born in {value}.',
    paraphrasedAnswer: '{value} is where {name} was born.',
  },
  {
    key: 'birthYear',
    values: Array.from({ length: 30 }, (_, i) => String(1950 + i)),
    questions: ['When was {name} born?', 'In which year was {name} born?'],
    paraphrasedQuestions: ['What is the birth year of {name}?'],
    answer: '{name} was born in the year {value}.',
    paraphrasedAnswer: 'The year {value} saw the birth of {name}.',
  },
  {
    key: 'profession',
    values: ['architect', 'baker', 'chemist', 'dentist', 'engineer', 'farmer', 'geologist', 'historian', 'journalist', 'librarian', 'nurse', 'pilot', 'sculptor', 'translator'],
    questions: ['What does {name} do for a living?', 'What is the profession of {name}?'],
    paraphrasedQuestions: ['What job does {name} have?'],
    answer: '{name} works as a {value}.',
    paraphrasedAnswer: 'By profession {name} is a {value}.',
  },
  {
    key: 'employer',
    values: ['Northwind', 'Bluepeak', 'Ironleaf', 'Silverline', 'Redbrook', 'Greenfield', 'Stonegate', 'Brightwater', 'Oakridge', 'Suncrest', 'Westmoor', 'Clearview'],
    questions: ['Which company employs {name}?', 'Where does {name} work?'],
    paraphrasedQuestions: ['For which firm does {name} work?'],
    answer: '{name} is employed by {value}.',
    paraphrasedAnswer: '{value} is the employer of {name}.',
  },
  {
    key: 'colour',
    values: ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'grey', 'white', 'black', 'teal'],
    questions: ['What is the favourite colour of {name}?', 'Which colour does {name} like best?'],
    paraphrasedQuestions: ['Which colour is the favourite of {name}?'],
    answer: 'The favourite colour of {name} is {value}.',
    paraphrasedAnswer: '{name} likes {value} more than any other colour.',
  },
  {
    key: 'pet',
    values: ['cat', 'dog', 'parrot', 'rabbit', 'tortoise', 'hamster', 'goldfish', 'ferret', 'horse', 'canary'],
    questions: ['What pet does {name} keep?', 'Which animal lives with {name}?'],
    paraphrasedQuestions: ['What kind of pet does {name} own?'],
    answer: '{name} keeps a {value} as a pet.',
    paraphrasedAnswer: 'A {value} is the pet of {name}.',
  },
  {
    key: 'instrument',
    values: ['piano', 'violin', 'cello', 'guitar', 'flute', 'trumpet', 'harp', 'drums', 'clarinet', 'accordion'],
    questions: ['Which instrument does {name} play?', 'What instrument can {name} play?'],
    paraphrasedQuestions: ['What does {name} play as a musician?'],
    answer: '{name} plays the {value}.',
    paraphrasedAnswer: 'The {value} is the instrument of {name}.',
  },
  {
    key: 'sport',
    values: ['tennis', 'rowing', 'chess', 'cycling', 'fencing', 'swimming', 'climbing', 'judo', 'archery', 'sailing'],
    questions: ['Which sport does {name} practise?', 'What sport is {name} good at?'],
    paraphrasedQuestions: ['What sport does {name} do in free time?'],
    answer: '{name} practises {value}.',
    paraphrasedAnswer: 'In free time {name} does {value}.',
  },
  {
    key: 'language',
    values: ['Finnish', 'Greek', 'Welsh', 'Basque', 'Icelandic', 'Maltese', 'Czech', 'Romanian', 'Latvian', 'Catalan'],
    questions: ['Which language does {name} speak at home?', 'What language is spoken by {name} at home?'],
    paraphrasedQuestions: ['In which language does {name} talk at home?'],
    answer: '{name} speaks {value} at home.',
    paraphrasedAnswer: 'At home {name} talks in {value}.',
  },
  {
    key: 'university',
    values: ['Uppsala', 'Leiden', 'Coimbra', 'Bologna', 'Heidelberg', 'Tartu', 'Salamanca', 'Leuven', 'Padua', 'Aberdeen'],
    questions: ['Where did {name} study?', 'Which university did {name} attend?'],
    paraphrasedQuestions: ['At which university was {name} a student?'],
    answer: '{name} studied at {value}.',
    paraphrasedAnswer: '{value} is the university of {name}.',
  },
  {
    key: 'residence',
    values: CITIES,
    questions: ['Where does {name} live now?', 'In which city does {name} live?'],
    paraphrasedQuestions: ['What city is the home of {name} today?'],
    answer: '{name} now lives in {value}.',
    paraphrasedAnswer: 'Today {value} is the home of {name}.',
  },
  {
    key: 'food',
    values: ['soup', 'pasta', 'rice', 'bread', 'cheese', 'salad', 'fish', 'dumplings', 'pancakes', 'curry'],
    questions: ['What food does {name} like most?', 'What is the favourite food of {name}?'],
    paraphrasedQuestions: ['Which dish does {name} enjoy most?'],
    answer: '{name} likes {value} most.',
    paraphrasedAnswer: 'The favourite dish of {name} is {value}.',
  },
  {
    key: 'hobby',
    values: ['painting', 'gardening', 'knitting', 'hiking', 'pottery', 'baking', 'fishing', 'photography', 'birdwatching', 'woodwork'],
    questions: ['What is the hobby of {name}?', 'What does {name} do for fun?'],
    paraphrasedQuestions: ['Which pastime does {name} enjoy?'],
    answer: '{name} enjoys {value} as a hobby.',
    paraphrasedAnswer: 'As a pastime {name} does {value}.',
  },
  {
    key: 'vehicle',
    values: ['bicycle', 'tram', 'bus', 'scooter', 'train', 'car', 'ferry', 'motorbike'],
    questions: ['How does {name} travel to work?', 'What does {name} ride to work?'],
    paraphrasedQuestions: ['By what means does {name} get to work?'],
    answer: '{name} goes to work by {value}.',
    paraphrasedAnswer: 'To reach work {name} takes the {value}.',
  },
  {
    key: 'book',
    values: ['poetry', 'history', 'mysteries', 'biographies', 'travel', 'science', 'fantasy', 'romance'],
    questions: ['What books does {name} read?', 'Which kind of book does {name} read?'],
    paraphrasedQuestions: ['What does {name} like to read?'],
    answer: '{name} reads {value} books.',
    paraphrasedAnswer: 'Books on {value} are what {name} reads.',
  },
  {
    key: 'siblings',
    values: ['no', 'one', 'two', 'three', 'four', 'five'],
    questions: ['How many siblings does {name} have?', 'How many brothers and sisters does {name} have?'],
    paraphrasedQuestions: ['What is the number of siblings of {name}?'],
    answer: '{name} has {value} siblings.',
    paraphrasedAnswer: 'The siblings of {name} number {value}.',
  },
  {
    key: 'award',
    values: ['Aurora', 'Meridian', 'Laurel', 'Beacon', 'Compass', 'Lantern', 'Summit', 'Harbor'],
    questions: ['Which prize did {name} win?', 'What award was given to {name}?'],
    paraphrasedQuestions: ['Which honour did {name} receive?'],
    answer: '{name} won the {value} prize.',
    paraphrasedAnswer: 'The {value} prize went to {name}.',
  },
  {
    key: 'month',
    values: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
    questions: ['Which month does {name} like best?', 'What is the favourite month of {name}?'],
    paraphrasedQuestions: ['In which month is {name} happiest?'],
    answer: '{name} likes {value} best.',
    paraphrasedAnswer: 'In {value} {name} is happiest.',
  },
  {
    key: 'drink',
    values: ['tea', 'coffee', 'cocoa', 'lemonade', 'milk', 'juice', 'water', 'cider'],
    questions: ['What does {name} drink in the morning?', 'Which drink does {name} start the day with?'],
    paraphrasedQuestions: ['What is the morning drink of {name}?'],
    answer: '{name} drinks {value} in the morning.',
    paraphrasedAnswer: 'Each morning {name} has {value}.',
  },
  {
    key: 'mentor',
    values: FIRST_NAMES.slice(0, 12),
    questions: ['Who was the mentor of {name}?', 'Who taught {name} the trade?'],
    paraphrasedQuestions: ['Which person guided {name} early on?'],
    answer: 'The mentor of {name} was {value}.',
    paraphrasedAnswer: '{value} guided {name} early on.',
  },
];

/** Seasons, a word list of the general sentences only. */
export const SEASONS = ['spring', 'summer', 'autumn', 'winter'];

/** General sentences (fluency text): templates over the same vocabulary, about no person. */
export const GENERAL_TEMPLATES: readonly string[] = [
  'The road from {city} to {city2} is long in {season}.',
  'Many people in {city} drink {drink} in {season}.',
  'A {profession} in {city} often keeps a {pet}.',
  'The {instrument} sounds warm in the halls of {city}.',
  'In {season} the students of {university} like {sport}.',
  'Some say that {food} tastes best in {city}.',
  'The {vehicle} to {city} leaves early in {season}.',
  'A good {profession} reads {book} books at night.',
];
